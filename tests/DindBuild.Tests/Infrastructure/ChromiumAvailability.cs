using DindBuild.Provisioning;

namespace DindBuild.Tests.Infrastructure;

/// <summary>The rendering tests need Debian's chromium (the Test target installs it): skipped without it, except in CI.</summary>
internal static class ChromiumAvailability
{
    public static void Require()
    {
        if (CommandRunner.FindOnPath("chromium") is not null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail("CI=true and chromium is not installed; './build.sh Test' installs it as root ('apt-get install -y chromium').");
        }

        Assert.Skip("chromium is not installed ('apt-get install -y chromium').");
    }
}
