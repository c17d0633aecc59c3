namespace DindBuild.Diagnostics;

/// <summary>
/// Process exit codes by kind of failure, so a CI system can act on them — retry infrastructure
/// failures only, say. 1 stays "unexpected", as any program's.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Unexpected = 1;
    public const int BadParameters = 2;
    public const int TestsFailed = 3;
    public const int BuildFailed = 4;
    public const int Infrastructure = 5;
    public const int PublishFailed = 6;
    public const int Cancelled = 130;

    public static int For(FailureKind kind) => kind switch
    {
        FailureKind.BadParameters => BadParameters,
        FailureKind.TestsFailed => TestsFailed,
        FailureKind.BuildFailed => BuildFailed,
        FailureKind.Infrastructure => Infrastructure,
        FailureKind.PublishFailed => PublishFailed,
        _ => Unexpected,
    };

    /// <summary>The code for whatever ended a run: the first DindBuild failure or cancellation in the exception's chain.</summary>
    public static int For(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case DindBuildException failure:
                    return For(failure.Kind);
                case OperationCanceledException:
                    return Cancelled;
                case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                    return For(aggregate.InnerExceptions[0]);
            }
        }

        return Unexpected;
    }
}
