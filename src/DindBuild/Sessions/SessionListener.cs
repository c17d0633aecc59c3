using DindBuild.Testing;

namespace DindBuild.Sessions;

/// <summary>
/// What a build host hears from a session: each step's start and end (CI groups, annotations),
/// every change of its saved state (saved sessions for later processes), its removal, the tests'
/// results. The core works without any of it; every method does nothing by default.
/// </summary>
public class SessionListener
{
    public static SessionListener None { get; } = new();

    /// <summary>An outermost step begins (steps a step runs itself, such as StartDaemon's ProvisionEngine, fold into it).</summary>
    public virtual void StepStarting(string step)
    {
    }

    /// <summary>An outermost step ended; <paramref name="failure"/> is what it threw (explained and masked), null on success.</summary>
    public virtual void StepFinished(string step, TimeSpan duration, string outcome, Exception? failure)
    {
    }

    /// <summary>The session's state changed (after every step, and before anything is created): save it to continue it elsewhere.</summary>
    public virtual void StateChanged(SessionState state)
    {
    }

    /// <summary>A session is gone (torn down, or reaped because its owner died): forget what was kept about it.</summary>
    public virtual void SessionRemoved(string sessionId)
    {
    }

    /// <summary>The test reports among this run's exported artifacts were read.</summary>
    public virtual void TestsReported(TestReportSummary tests)
    {
    }
}

/// <summary>Several listeners, each told in turn.</summary>
public sealed class SessionListeners(params SessionListener[] listeners) : SessionListener
{
    public override void StepStarting(string step) => Each(listener => listener.StepStarting(step));

    public override void StepFinished(string step, TimeSpan duration, string outcome, Exception? failure) => Each(listener => listener.StepFinished(step, duration, outcome, failure));

    public override void StateChanged(SessionState state) => Each(listener => listener.StateChanged(state));

    public override void SessionRemoved(string sessionId) => Each(listener => listener.SessionRemoved(sessionId));

    public override void TestsReported(TestReportSummary tests) => Each(listener => listener.TestsReported(tests));

    private void Each(Action<SessionListener> tell)
    {
        foreach (var listener in listeners)
        {
            tell(listener);
        }
    }
}
