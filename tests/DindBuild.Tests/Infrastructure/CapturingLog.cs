using System.Collections.Concurrent;
using System.Globalization;
using DindBuild.Diagnostics;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace DindBuild.Tests.Infrastructure;

/// <summary>A logger set up as the build's own (secret masking included) whose every rendered line is kept for assertions.</summary>
internal sealed class CapturingLog : ILogEventSink
{
    private readonly ConcurrentQueue<string> _lines = new();

    public CapturingLog(SecretMasker masker)
    {
        Masker = masker;
        Logger = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .Enrich.With(new SecretMaskingEnricher(masker))
            .WriteTo.Sink(this)
            .WriteTo.Sink(new TestOutputSink())
            .CreateLogger();
    }

    public SecretMasker Masker { get; }

    public ILogger Logger { get; }

    public string Text => string.Join('\n', _lines);

    public void Emit(LogEvent logEvent) => _lines.Enqueue(logEvent.RenderMessage(CultureInfo.InvariantCulture));
}
