using DindBuild.Testing;
using DindBuild.Tests.Infrastructure;

namespace DindBuild.Tests.Unit;

/// <summary>Reports come out of the test container, so they are read as hostile input.</summary>
public sealed class TestReportSummaryTests
{
    [Fact]
    public void JUnit_reports_are_counted_and_failing_tests_named_while_other_xml_is_ignored()
    {
        using var artifacts = new TempDirectory();
        File.WriteAllText(artifacts.Combine("junit.xml"), """
            <testsuites><testsuite name="pytest" tests="5">
              <testcase classname="tests.test_calc" name="test_add"><system-out>ok</system-out></testcase>
              <testcase classname="tests.test_calc" name="test_div"><failure message="boom"/></testcase>
              <testcase classname="tests.test_calc" name="test_io"><error message="io"/></testcase>
              <testcase classname="tests.test_calc" name="test_later"><skipped/></testcase>
              <testcase name="bare"/>
            </testsuite></testsuites>
            """);
        Directory.CreateDirectory(artifacts.Combine("more"));
        File.WriteAllText(artifacts.Combine("more", "TEST-one.xml"), "<testsuite><testcase classname=\"A\" name=\"b\"><failure/></testcase></testsuite>");
        File.WriteAllText(artifacts.Combine("coverage.xml"), "<coverage line-rate=\"1\"/>");
        File.WriteAllText(artifacts.Combine("broken.xml"), "<testsuite><testcase name=\"half\"/><testcase");

        var results = TestReportSummary.FromDirectory(artifacts.Path);

        Assert.NotNull(results);
        Assert.Equal((2, 3, 1, 6), (results.Passed, results.Failed, results.Skipped, results.Total));
        Assert.Equal(["tests.test_calc.test_div", "tests.test_calc.test_io", "A.b"], results.FailingTests);
        Assert.Equal(["junit.xml", Path.Combine("more", "TEST-one.xml")], results.Files);
        Assert.Null(TestReportSummary.FromDirectory(artifacts.Combine("more", "none")));
    }

    [Fact]
    public void A_trx_report_is_counted_by_its_top_level_results()
    {
        using var artifacts = new TempDirectory();
        File.WriteAllText(artifacts.Combine("tests.trx"), Trx(
            Result("Calculator.Tests.AddTests.Adds_two_numbers", "Passed"),
            Result("Calculator.Tests.AddTests.Adds(a: 1, b: 2)", "Passed"),
            Result("Calculator.Tests.DivideTests.Divides_by_zero", "Failed",
                "<Output><ErrorInfo><Message>Assert.Equal() Failure</Message><StackTrace>at Calculator.Tests.DivideTests.Divides_by_zero()</StackTrace></ErrorInfo></Output>"),
            Result("Calculator.Tests.SlowTests.Takes_an_hour", "NotExecuted",
                "<Output><ErrorInfo><Message>Too slow for CI</Message></ErrorInfo></Output>"),
            Result("Calculator.Tests.DataTests.Rows", "Failed",
                "<InnerResults>" + Result("Calculator.Tests.DataTests.Rows (1)", "Passed") + Result("Calculator.Tests.DataTests.Rows (2)", "Failed") + "</InnerResults>"),
            Result("Calculator.Tests.HangTests.Hangs", "Timeout")));

        var results = TestReportSummary.FromDirectory(artifacts.Path);

        Assert.NotNull(results);
        Assert.Equal((2, 3, 1), (results.Passed, results.Failed, results.Skipped));
        Assert.Equal(["Calculator.Tests.DivideTests.Divides_by_zero", "Calculator.Tests.DataTests.Rows", "Calculator.Tests.HangTests.Hangs"], results.FailingTests);
        Assert.Equal(["tests.trx"], results.Files);
    }

    [Fact]
    public void JUnit_and_trx_reports_in_subdirectories_are_added_up_and_the_kind_comes_from_the_content()
    {
        using var artifacts = new TempDirectory();
        Directory.CreateDirectory(artifacts.Combine("python"));
        Directory.CreateDirectory(artifacts.Combine("dotnet", "api"));
        File.WriteAllText(artifacts.Combine("python", "junit.xml"), "<testsuite><testcase classname=\"t\" name=\"ok\"/><testcase classname=\"t\" name=\"bad\"><failure/></testcase></testsuite>");
        File.WriteAllText(artifacts.Combine("dotnet", "api", "results.TRX"), Trx(Result("Api.Tests.Get", "Passed"), Result("Api.Tests.Put", "Failed")));
        File.WriteAllText(artifacts.Combine("dotnet", "trx-named.xml"), Trx(Result("Core.Tests.Skip", "NotExecuted")));
        File.WriteAllText(artifacts.Combine("dotnet", "notes.trx"), "not xml at all");

        var results = TestReportSummary.FromDirectory(artifacts.Path);

        Assert.NotNull(results);
        Assert.Equal((2, 2, 1), (results.Passed, results.Failed, results.Skipped));
        Assert.Equal(["Api.Tests.Put", "t.bad"], results.FailingTests);
        Assert.Equal([Path.Combine("dotnet", "api", "results.TRX"), Path.Combine("dotnet", "trx-named.xml"), Path.Combine("python", "junit.xml")], results.Files);
    }

    [Fact]
    public void Failing_names_stop_at_fifty_while_the_count_goes_on()
    {
        using var artifacts = new TempDirectory();
        var cases = string.Concat(Enumerable.Range(0, 40).Select(i => $"<testcase name=\"t{i}\"><failure/></testcase>"));
        File.WriteAllText(artifacts.Combine("a.xml"), $"<testsuite>{cases}</testsuite>");
        File.WriteAllText(artifacts.Combine("b.xml"), $"<testsuite>{cases}</testsuite>");

        var results = TestReportSummary.FromDirectory(artifacts.Path);

        Assert.NotNull(results);
        Assert.Equal(80, results.Failed);
        Assert.Equal(50, results.FailingTests.Count);
    }

    [Fact(Timeout = 10_000)]
    public async Task Files_with_a_DTD_are_skipped_at_once_so_entities_can_neither_expand_nor_read_host_files()
    {
        using var artifacts = new TempDirectory();
        var laughs = string.Concat(Enumerable.Range(1, 9).Select(i => $"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{i - 1};", 10))}\">\n"));
        await File.WriteAllTextAsync(artifacts.Combine("laughs.xml"), $"""
            <?xml version="1.0"?>
            <!DOCTYPE testsuite [<!ENTITY lol0 "lol">
            {laughs}]>
            <testsuite><testcase name="&lol9;"/></testsuite>
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(artifacts.Combine("external.trx"), $"""
            <?xml version="1.0"?>
            <!DOCTYPE TestRun [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
            {Trx(Result("&secret;", "Failed")).Replace("<?xml version=\"1.0\" encoding=\"utf-8\"?>", "", StringComparison.Ordinal)}
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(artifacts.Combine("junit.xml"), "<testsuite><testcase name=\"ok\"/></testsuite>", TestContext.Current.CancellationToken);

        var results = await Task.Run(() => TestReportSummary.FromDirectory(artifacts.Path), TestContext.Current.CancellationToken);

        Assert.NotNull(results);
        Assert.Equal(["junit.xml"], results.Files);
        Assert.Equal(1, results.Total);
    }

    [Fact]
    public void A_file_over_the_size_cap_is_skipped_without_being_read()
    {
        using var artifacts = new TempDirectory();
        File.WriteAllText(artifacts.Combine("junit.xml"), "<testsuite><testcase name=\"ok\"/></testsuite>");
        using (var huge = File.Create(artifacts.Combine("huge.xml")))
        {
            // Sparse: no disk is used, but the length is past the cap.
            huge.SetLength(TestReportSummary.MaxReportCharacters + 1);
        }

        var results = TestReportSummary.FromDirectory(artifacts.Path);

        Assert.NotNull(results);
        Assert.Equal(["junit.xml"], results.Files);
    }

    [Fact]
    public void Xml_that_is_not_a_test_report_gives_no_summary()
    {
        using var artifacts = new TempDirectory();
        File.WriteAllText(artifacts.Combine("coverage.xml"), "<coverage line-rate=\"1\"><packages/></coverage>");
        File.WriteAllText(artifacts.Combine("pom.xml"), "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"/>");
        File.WriteAllText(artifacts.Combine("other.trx"), "<TestRun xmlns=\"urn:something-else\"><Results/></TestRun>");
        File.WriteAllText(artifacts.Combine("empty.xml"), "");
        File.WriteAllText(artifacts.Combine("junit.txt"), "<testsuite><testcase name=\"t\"/></testsuite>");

        Assert.Null(TestReportSummary.FromDirectory(artifacts.Path));
    }

    /// <summary>The shape <c>dotnet test --logger trx</c> writes (xunit v3 adapter), trimmed to what matters plus the usual noise.</summary>
    private static string Trx(params string[] results) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun id="9d5c4bb6-5b0f-4b5e-9f0a-3f4f3c1e2a10" name="root@ci 2026-11-27 12:00:00" runUser="root" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Times creation="2026-11-27T12:00:00.0000000+00:00" queuing="2026-11-27T12:00:00.0000000+00:00" start="2026-11-27T12:00:00.0000000+00:00" finish="2026-11-27T12:00:02.0000000+00:00" />
          <TestSettings name="default" id="0c0b2b2e-1d7e-4f0e-8d8d-8f5a3a1c9b11">
            <Deployment runDeploymentRoot="root_ci_2026-11-27_12_00_00" />
          </TestSettings>
          <Results>
            {string.Concat(results)}
          </Results>
          <TestDefinitions>
            <UnitTest name="Adds_two_numbers" storage="/src/tests/bin/release/net10.0/calculator.tests.dll" id="5a0f2a8e-7f55-4f0c-b1c4-0c2b7d8e9f01">
              <Execution id="d1c7f1a2-3b4c-4d5e-8f90-a1b2c3d4e5f6" />
              <TestMethod codeBase="/src/tests/bin/Release/net10.0/Calculator.Tests.dll" adapterTypeName="executor://xunit/VsTestRunner3/netcore/" className="Calculator.Tests.AddTests" name="Adds_two_numbers" />
            </UnitTest>
          </TestDefinitions>
          <TestEntries>
            <TestEntry testId="5a0f2a8e-7f55-4f0c-b1c4-0c2b7d8e9f01" executionId="d1c7f1a2-3b4c-4d5e-8f90-a1b2c3d4e5f6" testListId="8c84fa94-04c1-424b-9868-57a2d4851a1d" />
          </TestEntries>
          <TestLists>
            <TestList name="Results Not in a List" id="8c84fa94-04c1-424b-9868-57a2d4851a1d" />
            <TestList name="All Loaded Results" id="19431567-8539-422a-85d7-44ee4e166bda" />
          </TestLists>
          <ResultSummary outcome="Failed">
            <Counters total="{results.Length}" executed="{results.Length}" passed="0" failed="0" error="0" timeout="0" aborted="0" inconclusive="0" passedButRunAborted="0" notRunnable="0" notExecuted="0" disconnected="0" warning="0" completed="0" inProgress="0" pending="0" />
            <Output><StdOut>[xUnit.net 00:00:00.50]   Starting:    Calculator.Tests</StdOut></Output>
          </ResultSummary>
        </TestRun>
        """;

    private static string Result(string testName, string outcome, string body = "") =>
        $"<UnitTestResult executionId=\"{Guid.NewGuid()}\" testId=\"{Guid.NewGuid()}\" testName=\"{testName}\" computerName=\"ci\" duration=\"00:00:00.0012345\" startTime=\"2026-11-27T12:00:01.0000000+00:00\" endTime=\"2026-11-27T12:00:01.0012345+00:00\" testType=\"13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b\" outcome=\"{outcome}\" testListId=\"8c84fa94-04c1-424b-9868-57a2d4851a1d\" relativeResultsDirectory=\"{Guid.NewGuid()}\">{body}</UnitTestResult>";
}
