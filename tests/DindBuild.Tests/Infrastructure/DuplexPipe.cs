using System.IO.Pipelines;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Two connected in-memory streams: what one side writes, the other reads — a connection without a socket.</summary>
internal sealed class DuplexPipe
{
    private readonly Pipe _toServer = new();
    private readonly Pipe _toClient = new();

    public DuplexPipe()
    {
        Server = new End(_toServer.Reader.AsStream(), _toClient.Writer.AsStream());
        Client = new End(_toClient.Reader.AsStream(), _toServer.Writer.AsStream());
    }

    public Stream Server { get; }

    public Stream Client { get; }

    private sealed class End(Stream reading, Stream writing) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => reading.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => reading.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => writing.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => writing.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => writing.FlushAsync(cancellationToken);

        public override void Flush() => writing.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                writing.Dispose();
                reading.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
