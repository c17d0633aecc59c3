namespace DindBuild.IO;

/// <summary>The fields DindBuild needs from Linux's <c>/proc/PID/stat</c>.</summary>
/// <param name="State">Field 3: <c>R</c>, <c>S</c>, ...; <c>Z</c> for a zombie that has exited but is not yet reaped.</param>
/// <param name="StartTime">Field 22, as written: clock ticks since boot, which tells a process from a later one that reused its pid.</param>
internal sealed record ProcessStat(char State, string StartTime)
{
    /// <summary>The process's stat, or null when there is no such process (or no /proc, or it cannot be read).</summary>
    public static ProcessStat? Read(int pid)
    {
        try
        {
            return Parse(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Parses the text of a stat file; null when it is not one.</summary>
    internal static ProcessStat? Parse(string stat)
    {
        // The command name (field 2) is in parentheses and may itself contain spaces and parentheses, but
        // nothing after it can contain ')': fields 3 onwards start after the last one.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].TrimStart(' ').Split(' ');
        return fields.Length > 19 && fields[0].Length == 1 ? new ProcessStat(fields[0][0], fields[19]) : null;
    }
}
