using Serilog;

namespace DindBuild.SocketPolicy;

/// <summary>
/// What the tests asked of the policy socket, for the log: each refusal as a warning (the first
/// few: the tests are hostile input, and must not flood the build log), and totals at the end.
/// </summary>
internal sealed class SocketPolicyStats(ILogger log)
{
    private const int Logged = 20;

    private int _requests;
    private int _refused;
    private int _malformed;

    public int Requests => Volatile.Read(ref _requests);

    public int RefusedCount => Volatile.Read(ref _refused);

    public int MalformedCount => Volatile.Read(ref _malformed);

    public void Request() => Interlocked.Increment(ref _requests);

    public void Refused(string request, string rules)
    {
        var count = Interlocked.Increment(ref _refused);
        if (count <= Logged)
        {
            log.Warning("The socket policy refused {Request} from the tests: {Rules}", HttpHead.Printable(request), rules);
        }
        else
        {
            log.Debug("The socket policy refused {Request} from the tests: {Rules}", HttpHead.Printable(request), rules);
        }
    }

    public void Malformed(string problem)
    {
        var count = Interlocked.Increment(ref _malformed);
        if (count <= Logged)
        {
            log.Warning("The socket policy closed a connection from the tests: {Problem}", problem);
        }
    }
}
