using Serilog.Core;
using Serilog.Events;

namespace DindBuild.Diagnostics;

/// <summary>
/// Console output through <see cref="SafeText"/>: every property of every event is escaped before the console
/// sink renders it, so a value can never start a line, move the cursor or issue a CI workflow command; the
/// exception, which is several lines by nature, is escaped line by line into <see cref="ExceptionProperty"/>.
/// </summary>
/// <remarks>
/// At the sink rather than at each call site, so that no <c>log.X("… {Value}", fromContainer)</c> can be missed.
/// Only the console gets it: the JSON log keeps exact values, which its JSON escaping already keeps on one line.
/// Secrets are masked before this (by the enricher), so a secret is masked whether or not it holds a control character.
/// </remarks>
internal sealed class EscapingSink(ILogEventSink console) : ILogEventSink, IDisposable
{
    /// <summary>The console template shows this instead of <c>{Exception}</c>.</summary>
    public const string ExceptionProperty = "EscapedException";

    public void Emit(LogEvent logEvent) => console.Emit(Escaped(logEvent));

    public void Dispose() => (console as IDisposable)?.Dispose();

    internal static LogEvent Escaped(LogEvent logEvent)
    {
        var properties = new List<LogEventProperty>(logEvent.Properties.Count + 1);
        foreach (var (name, value) in logEvent.Properties)
        {
            properties.Add(new LogEventProperty(name, Escape(value)));
        }

        if (logEvent.Exception is { } exception)
        {
            properties.Add(new LogEventProperty(ExceptionProperty, new ScalarValue(SafeText.Lines(exception.ToString()) + Environment.NewLine)));
        }

        return new LogEvent(logEvent.Timestamp, logEvent.Level, null, logEvent.MessageTemplate, properties, logEvent.TraceId ?? default, logEvent.SpanId ?? default);
    }

    private static LogEventPropertyValue Escape(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: string text } => Changed(text, value),

        // Numbers, times and the like render without control characters; anything else renders its ToString().
        ScalarValue { Value: null or ValueType } => value,
        ScalarValue { Value: { } other } => other.ToString() is { } text ? Changed(text, value) : value,
        SequenceValue sequence => new SequenceValue(sequence.Elements.Select(Escape)),
        StructureValue structure => new StructureValue(structure.Properties.Select(p => new LogEventProperty(p.Name, Escape(p.Value))), structure.TypeTag),
        DictionaryValue dictionary => new DictionaryValue(dictionary.Elements.Select(pair =>
            new KeyValuePair<ScalarValue, LogEventPropertyValue>((ScalarValue)Escape(pair.Key), Escape(pair.Value)))),
        _ => value,
    };

    /// <summary>The escaped text, or the original value when escaping left the text as it was.</summary>
    private static LogEventPropertyValue Changed(string text, LogEventPropertyValue original) =>
        SafeText.Escape(text) is var escaped && ReferenceEquals(escaped, text) ? original : new ScalarValue(escaped);
}
