using DindBuild.Settings;

namespace DindBuild.Benchmarks;

/// <summary>
/// The benchmark program's arguments: the DindBuild parameters as the build script takes them
/// (<c>--name value</c> or <c>--name=value</c>; a bare switch means true), plus a few of its own.
/// A non-switch parameter always takes the next argument as its value, even one starting with
/// <c>--</c> (<c>--daemon-arg --mtu=1400</c>).
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.OrdinalIgnoreCase);

    private CommandLine()
    {
    }

    public bool Help { get; private set; }

    /// <summary>Print the resolved settings and what would run, then exit without touching Docker.</summary>
    public bool List { get; private set; }

    public bool Verbose { get; private set; }

    public string? RepositoryRoot { get; private set; }

    /// <summary>Run only one group of measures (<c>builders</c>: BuildKit against classic, the cost of decoding progress and cache mounts; <c>cache-mounts</c>: the last alone); null runs all.</summary>
    public string? Only { get; private set; }

    /// <summary>The values given for a DindBuild parameter: empty when absent, an empty string for a bare switch.</summary>
    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var values) ? values : [];

    /// <exception cref="FormatException">An unknown name, a stray value or a missing value.</exception>
    public static CommandLine Parse(IReadOnlyList<string> arguments, IReadOnlyList<DindParameter> parameters)
    {
        var line = new CommandLine();
        var byName = parameters.ToDictionary(parameter => parameter.Name, StringComparer.OrdinalIgnoreCase);
        for (var index = 0; index < arguments.Count; index++)
        {
            var argument = arguments[index];
            if (argument is "-h" or "-?")
            {
                line.Help = true;
                continue;
            }

            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2)
            {
                throw new FormatException($"unexpected argument '{argument}': arguments are --name value pairs");
            }

            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? argument[2..] : argument[2..equals];
            var inline = equals < 0 ? null : argument[(equals + 1)..];
            bool isSwitch = name.ToLowerInvariant() switch
            {
                "help" or "list" or "verbose" => true,
                "repository-root" or "only" => false,
                _ => byName.TryGetValue(name, out var parameter)
                    ? parameter.IsSwitch
                    : throw new FormatException($"unknown parameter --{name} (--help lists them)"),
            };

            string value;
            if (inline is not null)
            {
                value = inline;
            }
            else if (index + 1 < arguments.Count && !(isSwitch && arguments[index + 1].StartsWith("--", StringComparison.Ordinal)))
            {
                value = arguments[++index];
            }
            else if (isSwitch)
            {
                value = "";
            }
            else
            {
                throw new FormatException($"--{name} needs a value");
            }

            switch (name.ToLowerInvariant())
            {
                case "help":
                    line.Help = ParameterValues.Boolean(value);
                    break;
                case "list":
                    line.List = ParameterValues.Boolean(value);
                    break;
                case "verbose":
                    line.Verbose = ParameterValues.Boolean(value);
                    break;
                case "repository-root":
                    line.RepositoryRoot = value;
                    break;
                case "only":
                    line.Only = value.Trim().ToLowerInvariant() is "builders" or "cache-mounts" ? value.Trim().ToLowerInvariant() : throw new FormatException($"--only {value}: the groups are 'builders' and 'cache-mounts'");
                    break;
                default:
                    var canonical = byName[name].Name;
                    if (!line._values.TryGetValue(canonical, out var values))
                    {
                        line._values[canonical] = values = [];
                    }

                    values.Add(value);
                    break;
            }
        }

        return line;
    }
}
