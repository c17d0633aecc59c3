using System.Formats.Tar;
using DindBuild.Artifacts;
using Xunit;

namespace DindBuild.Tests.Unit;

public sealed class ZeroLengthReadSafeStreamTests
{
    private static readonly byte[] Payload = [1, 2, 3, 4, 5];

    [Fact]
    public void Zero_length_array_read_returns_zero_without_reaching_the_inner_stream()
    {
        var inner = new ThrowsOnZeroLengthReadStream(Payload);
        using var stream = new ZeroLengthReadSafeStream(inner);

        Assert.Equal(0, stream.Read(new byte[4], 2, 0));
        Assert.Equal(0, inner.ReadCalls);
    }

    [Fact]
    public void Zero_length_span_read_returns_zero_without_reaching_the_inner_stream()
    {
        var inner = new ThrowsOnZeroLengthReadStream(Payload);
        using var stream = new ZeroLengthReadSafeStream(inner);

        Assert.Equal(0, stream.Read(Span<byte>.Empty));
        Assert.Equal(0, inner.ReadCalls);
    }

    [Fact]
    public async Task Zero_length_async_array_read_returns_zero_without_reaching_the_inner_stream()
    {
        var inner = new ThrowsOnZeroLengthReadStream(Payload);
        await using var stream = new ZeroLengthReadSafeStream(inner);

        Assert.Equal(0, await stream.ReadAsync(new byte[4], 1, 0, TestContext.Current.CancellationToken));
        Assert.Equal(0, inner.ReadCalls);
    }

    [Fact]
    public async Task Zero_length_async_memory_read_returns_zero_without_reaching_the_inner_stream()
    {
        var inner = new ThrowsOnZeroLengthReadStream(Payload);
        await using var stream = new ZeroLengthReadSafeStream(inner);

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty, TestContext.Current.CancellationToken));
        Assert.Equal(0, inner.ReadCalls);
    }

    [Fact]
    public async Task Non_empty_reads_are_forwarded_and_return_the_inner_data()
    {
        var inner = new ThrowsOnZeroLengthReadStream(Payload);
        await using var stream = new ZeroLengthReadSafeStream(inner);
        var ct = TestContext.Current.CancellationToken;

        var first = new byte[2];
        stream.ReadExactly(first);
        var second = new byte[2];
        await stream.ReadExactlyAsync(second, ct);
        var rest = new byte[8];
        var restCount = stream.Read(rest, 0, rest.Length);
        var atEnd = await stream.ReadAsync(new byte[8], 0, 8, ct);

        Assert.Equal(Payload, first.Concat(second).Concat(rest.Take(restCount)).ToArray());
        Assert.Equal(0, atEnd);
        Assert.True(inner.ReadCalls >= 4);
    }

    [Fact]
    public void Is_read_only()
    {
        using var stream = new ZeroLengthReadSafeStream(new ThrowsOnZeroLengthReadStream(Payload));

        Assert.True(stream.CanRead);
        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
    }

    [Fact]
    public void Dispose_disposes_the_inner_stream()
    {
        var inner = new ThrowsOnZeroLengthReadStream(Payload);
        var stream = new ZeroLengthReadSafeStream(inner);

        stream.Dispose();

        Assert.True(inner.Disposed);
        Assert.Throws<ObjectDisposedException>(() => stream.Read(new byte[1], 0, 1));
    }

    [Fact]
    public async Task DisposeAsync_disposes_the_inner_stream()
    {
        var inner = new ThrowsOnZeroLengthReadStream(Payload);
        var stream = new ZeroLengthReadSafeStream(inner);

        await stream.DisposeAsync();

        Assert.True(inner.Disposed);
    }

    [Fact]
    public void Dispose_with_leaveOpen_keeps_the_inner_stream_usable()
    {
        var inner = new ThrowsOnZeroLengthReadStream(Payload);
        var stream = new ZeroLengthReadSafeStream(inner, leaveOpen: true);

        stream.Dispose();

        Assert.False(inner.Disposed);
    }

    [Fact]
    public async Task TarReader_can_read_a_Docker_like_stream_only_through_the_wrapper()
    {
        var ct = TestContext.Current.CancellationToken;
        var archive = BuildArchive();

        // Guards the premise: if TarReader stopped making zero-length reads this test would no longer prove anything.
        await Assert.ThrowsAsync<EndOfStreamException>(() => ReadAllAsync(new ThrowsOnZeroLengthReadStream(archive), ct));

        var contents = await ReadAllAsync(new ZeroLengthReadSafeStream(new ThrowsOnZeroLengthReadStream(archive)), ct);

        Assert.Equal(["artifacts/", "artifacts/empty.txt", "artifacts/data.bin:3", "artifacts/after.txt"], contents);
    }

    private static byte[] BuildArchive()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "artifacts/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "artifacts/empty.txt"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "artifacts/data.bin") { DataStream = new MemoryStream([7, 8, 9]) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "artifacts/after.txt"));
        }

        return buffer.ToArray();
    }

    private static async Task<List<string>> ReadAllAsync(Stream source, CancellationToken ct)
    {
        var names = new List<string>();
        await using var reader = new TarReader(source);
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            if (entry.DataStream is { } data)
            {
                using var copy = new MemoryStream();
                await data.CopyToAsync(copy, ct);
                names.Add($"{entry.Name}:{copy.Length}");
            }
            else
            {
                names.Add(entry.Name);
            }
        }

        return names;
    }

    /// <summary>Mimics Docker.DotNet's archive stream: non-seekable, and a zero-length read is an error.</summary>
    private sealed class ThrowsOnZeroLengthReadStream(byte[] data) : Stream
    {
        private readonly MemoryStream _data = new(data);

        public int ReadCalls { get; private set; }

        public bool Disposed { get; private set; }

        public override bool CanRead => !Disposed;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            ReadCalls++;
            if (buffer.IsEmpty)
            {
                throw new EndOfStreamException("zero-length read");
            }

            return _data.Read(buffer);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return ValueTask.FromResult(Read(buffer.Span));
            }
            catch (Exception ex)
            {
                return ValueTask.FromException<int>(ex);
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
