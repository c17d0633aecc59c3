using System.Diagnostics;
using DindBuild.Diagnostics;
using DindBuild.Modes;
using DindBuild.Reporting;

namespace DindBuild.Sessions;

/// <summary>
/// Runs a session's steps: times each, tells the listener of the outermost ones, turns a failure that
/// is the daemon's death into an error that says so, masks secrets in errors, and keeps the
/// session's first failure (with the daemon's log tail) for the report.
/// </summary>
internal sealed class StepRecorder(IDaemonMode mode, SessionListener listener, SecretMasker masker)
{
    private readonly List<StepTiming> _timings = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _depth;

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public IReadOnlyList<StepTiming> Timings => _timings;

    /// <summary>The facts this process saw (daemon version, profile, tests, first failure), without steps and samples.</summary>
    public RunHistory Facts { get; set; } = RunHistory.Empty;

    /// <summary>Called after every outermost step, failed or not: the session saves its state there.</summary>
    public Action? AfterStep { get; init; }

    public async Task RunAsync(string step, Func<Task> action)
    {
        var start = _clock.Elapsed;
        var outcome = StepTiming.Ok;
        var outermost = ++_depth == 1;
        Exception? shown = null;
        if (outermost)
        {
            listener.StepStarting(step);
        }

        try
        {
            await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            outcome = "cancelled";
            shown = ex;
            throw;
        }
        catch (Exception ex)
        {
            var failure = Mask(await mode.ExplainFailureAsync(step, ex).ConfigureAwait(false) ?? ex);
            outcome = failure is DindBuildException known ? known.Kind.ToString() : "failed";
            shown = failure;
            // The outermost step's: a nested step's failure that its caller handles is not the session's.
            if (outermost && Facts.Failure is null)
            {
                var logTail = await mode.DaemonLogTailAsync().ConfigureAwait(false);
                Facts = Facts with { Failure = masker.Apply(failure.Message), FailedStep = step, DaemonLogTail = logTail is null ? null : masker.Apply(logTail) };
            }

            if (ReferenceEquals(failure, ex))
            {
                throw;
            }

            throw failure;
        }
        finally
        {
            _depth--;
            _timings.Add(new StepTiming(step, start, _clock.Elapsed - start, outcome));
            if (outermost)
            {
                AfterStep?.Invoke();
                listener.StepFinished(step, _clock.Elapsed - start, outcome, shown);
            }
        }
    }

    /// <summary>This process's part of the session's history: its steps with wall-clock starts, and its facts.</summary>
    public RunHistory History(IReadOnlyList<Docker.ResourceSample> samples) => Facts with
    {
        Started = Started,
        Steps = [.. _timings.Select(timing => new RecordedStep(timing.Step, Started + timing.Start, timing.Duration, timing.Outcome))],
        Samples = samples,
    };

    /// <summary>Evidence quotes test and daemon output, which may echo a secret.</summary>
    private Exception Mask(Exception failure) =>
        failure is DindBuildException shown && masker.Reveals(shown.Message)
            ? new DindBuildException(shown.Kind, masker.Apply(shown.WhatFailed), shown.Evidence is null ? null : masker.Apply(shown.Evidence), shown.HowToFix is null ? null : masker.Apply(shown.HowToFix))
            {
                Location = shown.Location,
            }
            : failure;
}
