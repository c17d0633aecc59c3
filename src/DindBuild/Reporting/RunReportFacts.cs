using System.Globalization;

namespace DindBuild.Reporting;

/// <summary>The name/value lines at the top of both reports, in one place so HTML and Markdown say the same.</summary>
internal static class RunReportFacts
{
    public static IEnumerable<(string Name, string Value)> Of(RunReport report)
    {
        yield return ("Session", report.SessionId);
        yield return ("Started", report.Started.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        yield return ("Duration", $"{report.Span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        yield return ("Docker mode", report.Mode);
        yield return ("Privilege profile", report.History.PrivilegeProfile ?? "— (no DinD container in this run)");
        yield return ("Inner user namespace", report.History.InnerUserns ?? "— (no DinD container in this run)");
        yield return ("Daemon version", report.History.DaemonVersion ?? "—");
        yield return ("Storage driver", report.History.StorageDriver ?? "—");
        yield return ("Builder", report.History.Builder ?? "— (no image built in this run)");
        yield return ("Image", report.ImageTag is null ? "— (not built in this run)" : $"{report.ImageTag} {report.ImageId}");
        if (report.History.Published.Count > 0)
        {
            yield return ("Published", string.Join(", ", report.History.Published));
        }

        foreach (var service in report.History.ComposeServices)
        {
            var exit = service.State is "exited" or "dead" ? $", exit code {service.ExitCode}" : "";
            yield return ($"Compose service {service.Service}", $"{service.Image}: {service.State}{exit}{(service.Health.Length > 0 ? $", {service.Health}" : "")}");
        }

        if (report.ImageSizeBytes is { } size)
        {
            yield return ("Image size", $"{(size / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture)} MiB");
        }
    }
}
