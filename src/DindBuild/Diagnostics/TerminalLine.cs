namespace DindBuild.Diagnostics;

/// <summary>
/// The one line at the bottom of a terminal that progress redraws in place. Log output clears it
/// first, so that a log line never starts in the middle of a progress line; the next redraw brings it back.
/// </summary>
internal sealed class TerminalLine(TextWriter terminal)
{
    private const string EraseLine = "\r\u001b[2K";
    private readonly Lock _gate = new();
    private bool _drawn;

    /// <summary>The process's standard output, which the console log shares.</summary>
    public static TerminalLine Console { get; } = new(System.Console.Out);

    /// <summary>Draws <paramref name="text"/> escaped: it may quote a build step, and a control character would break the line.</summary>
    public void Draw(string text)
    {
        lock (_gate)
        {
            terminal.Write(EraseLine + SafeText.Escape(text));
            terminal.Flush();
            _drawn = true;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            if (_drawn)
            {
                terminal.Write(EraseLine);
                terminal.Flush();
                _drawn = false;
            }
        }
    }
}
