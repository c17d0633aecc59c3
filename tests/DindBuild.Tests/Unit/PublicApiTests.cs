using System.Text;
using DindBuild.Sessions;
using DindBuild.Tests.Infrastructure;
using PublicApiGenerator;
using Xunit;

namespace DindBuild.Tests.Unit;

/// <summary>
/// The public surface of DindBuild.dll, compared with the approved one checked in beside this file,
/// so that every change to it is a visible, reviewed diff. To approve a change, copy
/// PublicApi.received.txt over PublicApi.approved.txt and commit it.
/// </summary>
public sealed class PublicApiTests
{
    private const string ApprovedName = "PublicApi.approved.txt";

    private const string ReceivedName = "PublicApi.received.txt";

    private static readonly string Folder = Path.Combine(RepositoryRoot.Path, "tests", "DindBuild.Tests", "Unit");

    [Fact]
    public void The_public_API_is_the_approved_one()
    {
        var received = Normalize(typeof(DindSession).Assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            // Assembly attributes are the build's business (target framework, InternalsVisibleTo,
            // version metadata), not API; they would churn with every build setting.
            IncludeAssemblyAttributes = false,
            ExcludeAttributes =
            [
                "System.Diagnostics.DebuggerDisplayAttribute",
                "System.Diagnostics.DebuggerNonUserCodeAttribute",
                "System.Diagnostics.DebuggerStepThroughAttribute",
                "System.Diagnostics.CodeAnalysis.ExcludeFromCodeCoverageAttribute",
                "System.Runtime.CompilerServices.CompilerGeneratedAttribute",
                "System.CodeDom.Compiler.GeneratedCodeAttribute",
            ],
        }));
        var approvedPath = Path.Combine(Folder, ApprovedName);
        var receivedPath = Path.Combine(Folder, ReceivedName);
        var approved = File.Exists(approvedPath) ? Normalize(File.ReadAllText(approvedPath)) : null;
        if (received == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received);
        Assert.Fail(
            (approved is null ? $"{ApprovedName} is missing.\n" : "The public API of DindBuild is not the approved one.\n") +
            $"Received: {receivedPath}\n" +
            $"Approved: {approvedPath}\n" +
            $"If the change is intended, approve it: cp {Relative(receivedPath)} {Relative(approvedPath)}, and commit the approved file.\n" +
            (approved is null ? "" : FirstDifference(approved, received)));
    }

    /// <summary>Line endings and the trailing newline do not count: a checkout on Windows must pass too.</summary>
    private static string Normalize(string api) => api.ReplaceLineEndings("\n").TrimEnd('\n') + "\n";

    private static string Relative(string path) => Path.GetRelativePath(RepositoryRoot.Path, path);

    /// <summary>The lines between the common beginning and the common end, approved (-) then received (+), at most 15 of each.</summary>
    private static string FirstDifference(string approved, string received)
    {
        const int Shown = 15;
        var before = approved.Split('\n');
        var after = received.Split('\n');
        var start = 0;
        while (start < before.Length && start < after.Length && before[start] == after[start])
        {
            start++;
        }

        var endBefore = before.Length;
        var endAfter = after.Length;
        while (endBefore > start && endAfter > start && before[endBefore - 1] == after[endAfter - 1])
        {
            endBefore--;
            endAfter--;
        }

        var text = new StringBuilder().Append("First difference at line ").Append(start + 1).Append(":\n");
        foreach (var (lines, from, to, sign) in new[] { (before, start, endBefore, '-'), (after, start, endAfter, '+') })
        {
            foreach (var line in lines[from..Math.Min(to, from + Shown)])
            {
                text.Append(sign).Append(' ').Append(line).Append('\n');
            }

            if (to - from > Shown)
            {
                text.Append(sign).Append(" … ").Append(to - from - Shown).Append(" more lines\n");
            }
        }

        return text.ToString();
    }
}
