using System.Globalization;
using DindBuild.IO;

namespace DindBuild.Tests.Unit;

public sealed class ProcessStatTests
{
    // A real line's shape (52 fields), with a command name built to fool a parser that stops at the first ')'.
    private const string StatWithTrickyName =
        "4242 (evil) (name x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 12 3 0 0 20 0 4 0 987654 123456789 2048 "
        + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    [Fact]
    public void Fields_are_counted_from_the_last_parenthesis_so_the_command_name_may_hold_spaces_and_parentheses()
    {
        var stat = ProcessStat.Parse(StatWithTrickyName);

        Assert.Equal(new ProcessStat('S', "987654"), stat);
    }

    [Fact]
    public void A_zombie_reports_its_state()
    {
        var stat = ProcessStat.Parse(StatWithTrickyName.Replace(") S ", ") Z ", StringComparison.Ordinal));

        Assert.Equal('Z', stat?.State);
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 no parenthesis S 1")]
    [InlineData("4242 (short) S 1 2 3")]
    public void Text_that_is_not_a_stat_line_gives_null(string text)
    {
        Assert.Null(ProcessStat.Parse(text));
    }

    [Fact]
    public void A_missing_pid_gives_null()
    {
        // Above Linux's largest pid_max (2^22), so no process can have it.
        Assert.Null(ProcessStat.Read(int.MaxValue));
    }

    [Fact]
    public void This_process_is_running_and_has_a_start_time()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "/proc/PID/stat is Linux's");

        var stat = ProcessStat.Read(Environment.ProcessId);

        Assert.NotNull(stat);
        Assert.NotEqual('Z', stat.State);
        Assert.True(ulong.TryParse(stat.StartTime, CultureInfo.InvariantCulture, out _), $"start time '{stat.StartTime}' is a number of clock ticks");
    }
}
