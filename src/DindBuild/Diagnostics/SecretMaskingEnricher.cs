using Serilog.Core;
using Serilog.Events;

namespace DindBuild.Diagnostics;

/// <summary>Masks secrets in every property of every log event before any sink sees it.</summary>
internal sealed class SecretMaskingEnricher(SecretMasker masker) : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        if (masker.IsEmpty)
        {
            return;
        }

        foreach (var (name, value) in logEvent.Properties.ToList())
        {
            var masked = Mask(value);
            if (!ReferenceEquals(masked, value))
            {
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, masked));
            }
        }
    }

    /// <summary>The same instance when nothing changed, so untouched properties are not copied.</summary>
    private LogEventPropertyValue Mask(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: string text } when masker.Reveals(text) => new ScalarValue(masker.Apply(text)),
        ScalarValue { Value: not string and not null } scalar when masker.Reveals(scalar.Value.ToString()) => new ScalarValue(masker.Apply(scalar.Value.ToString()!)),
        SequenceValue sequence => sequence.Elements.Select(Mask).ToList() is var elements && elements.Zip(sequence.Elements).Any(pair => !ReferenceEquals(pair.First, pair.Second))
            ? new SequenceValue(elements)
            : sequence,
        StructureValue structure => structure.Properties.Select(p => new LogEventProperty(p.Name, Mask(p.Value))).ToList() is var properties && properties.Zip(structure.Properties).Any(pair => !ReferenceEquals(pair.First.Value, pair.Second.Value))
            ? new StructureValue(properties, structure.TypeTag)
            : structure,
        _ => value,
    };
}
