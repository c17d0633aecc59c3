using System.Text.Json;
using DindBuild.Diagnostics;
using DindBuild.Hosting;
using DindBuild.Reporting;
using DindBuild.Tests.Infrastructure;
using Serilog.Core;

namespace DindBuild.Tests.Unit;

/// <summary>
/// DindBuild's own files share a directory with what containers wrote: whatever else is at their names (a link left
/// there by anything but DindBuild) is replaced, never followed or truncated.
/// </summary>
public sealed class OwnArtifactFilesTests
{
    private const string VictimText = "not DindBuild's\n";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_symlink_at_the_json_logs_name_is_replaced_not_written_through(bool startFresh)
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
        using var directory = new TempDirectory();
        var victim = directory.Combine("victim.txt");
        File.WriteAllText(victim, VictimText);
        var log = directory.Combine(DindLogging.JsonLogFileName);
        File.CreateSymbolicLink(log, "victim.txt");

        using (var logger = DindLogging.CreateConsoleLogger(jsonLogFile: log, startFresh: startFresh))
        {
            logger.Information("the build's own event");
        }

        Assert.Equal(VictimText, File.ReadAllText(victim));
        Assert.Null(new FileInfo(log).LinkTarget);
        Assert.Equal("the build's own event", JsonDocument.Parse(Assert.Single(File.ReadAllLines(log))).RootElement.GetProperty("@mt").GetString());
    }

    [Fact]
    public void A_fresh_json_log_never_truncates_another_name_of_the_same_file()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "ln");
        using var directory = new TempDirectory();
        var log = directory.Combine(DindLogging.JsonLogFileName);
        var other = directory.Combine("other-name.txt");
        File.WriteAllText(log, VictimText);
        using (var ln = System.Diagnostics.Process.Start("ln", [log, other]))
        {
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }


        using (var logger = DindLogging.CreateConsoleLogger(jsonLogFile: log, startFresh: true))
        {
            logger.Information("a new run");
        }

        Assert.Equal(VictimText, File.ReadAllText(other));
        Assert.Single(File.ReadAllLines(log));
    }

    [Fact]
    public void A_symlink_at_the_reports_name_is_replaced_not_written_through()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "symlinks need privileges on Windows");
        using var directory = new TempDirectory();
        var victim = directory.Combine("victim.html");
        File.WriteAllText(victim, VictimText);
        File.CreateSymbolicLink(directory.Combine("dindbuild-report.html"), "victim.html");
        File.CreateSymbolicLink(directory.Combine("dindbuild-report.md"), "victim.html");

        new RunReportWriter(directory.Path, new PlainOutput(), Logger.None).Write(RunReportTests.SampleReport());

        Assert.Equal(VictimText, File.ReadAllText(victim));
        Assert.Null(new FileInfo(directory.Combine("dindbuild-report.html")).LinkTarget);
        Assert.Contains("<html", File.ReadAllText(directory.Combine("dindbuild-report.html")), StringComparison.Ordinal);
        Assert.StartsWith("## DindBuild run", File.ReadAllText(directory.Combine("dindbuild-report.md")), StringComparison.Ordinal);
        Assert.Equal(["dindbuild-report.html", "dindbuild-report.md", "victim.html"], Directory.GetFileSystemEntries(directory.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
