using DindBuild.Diagnostics;
using DindBuild.Reporting;
using DindBuild.Sessions;
using DindBuild.Testing;

namespace DindBuild.Hosting;

/// <summary>Each step as a CI group, its failure as an annotation (at the Dockerfile line when there is one), each failing test as one.</summary>
internal sealed class CiStepListener(CiOutput ci, SecretMasker masker, string repositoryRoot) : SessionListener
{
    /// <summary>GitHub shows at most 10 error annotations per step; one goes to the step's own failure.</summary>
    private const int MaxTestAnnotations = 9;

    public override void StepStarting(string step) => ci.BeginStep(step);

    public override void StepFinished(string step, TimeSpan duration, string outcome, Exception? failure)
    {
        ci.EndStep(step);
        if (failure is null or OperationCanceledException)
        {
            return;
        }

        var message = failure is DindBuildException described ? described.WhatFailed : failure.Message;
        ci.Failure($"DindBuild: {step} failed", masker.Apply(message), (failure as DindBuildException)?.Location?.RelativeTo(repositoryRoot));
    }

    public override void TestsReported(TestReportSummary tests)
    {
        foreach (var failingTest in tests.FailingTests.Take(MaxTestAnnotations))
        {
            ci.Failure("Test failed", failingTest);
        }
    }
}
