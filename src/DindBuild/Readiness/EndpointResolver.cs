using DindBuild.Diagnostics;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.Readiness;

/// <summary>One place an engine may answer, and where that place came from (DOCKER_HOST, a docker context, …).</summary>
internal sealed record EndpointCandidate(DockerEndpoint Endpoint, string Source);

/// <summary>
/// Polls every candidate with a short backoff until one answers <c>/_ping</c>, for up to a timeout —
/// an engine started by someone else (a CI service) may still be booting. When none answers, one
/// error lists every endpoint tried and why each failed.
/// </summary>
internal sealed class EndpointResolver(ILogger log)
{
    public async Task<DockerEndpoint> ResolveAsync(IReadOnlyList<EndpointCandidate> candidates, IReadOnlyList<string> notConfigured, TimeSpan timeout, string howToFix, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0)
        {
            throw NoneAnswered([.. notConfigured], howToFix);
        }

        var lastFailure = candidates.ToDictionary(candidate => candidate, _ => "not tried");
        var outcome = await ReadinessWaiter.WaitAsync([new AnyAnswers(candidates, lastFailure)], timeout, cancellationToken).ConfigureAwait(false);
        if (outcome.Ready)
        {
            var answered = candidates.First(candidate => lastFailure[candidate] == "answered");
            log.Information("Using the engine at {Endpoint} (from {Source}), answering after {Milliseconds:0} ms", answered.Endpoint, answered.Source, outcome.Elapsed.TotalMilliseconds);
            return answered.Endpoint;
        }

        throw NoneAnswered([.. candidates.Select(c => $"{c.Endpoint} (from {c.Source}): {lastFailure[c]}"), .. notConfigured], howToFix, timeout);
    }

    private static DindBuildException NoneAnswered(IReadOnlyList<string> tried, string howToFix, TimeSpan? waited = null) => new(
        FailureKind.Infrastructure,
        waited is null ? "No Docker engine is configured to use." : $"No Docker engine answered within {waited.Value.TotalSeconds:0.#} s.",
        "Endpoints tried:\n" + string.Join('\n', tried.Select(line => "- " + line)),
        howToFix);

    /// <summary>Ready as soon as any candidate answers; remembers why each other one did not.</summary>
    private sealed class AnyAnswers(IReadOnlyList<EndpointCandidate> candidates, Dictionary<EndpointCandidate, string> lastFailure) : IReadinessCondition
    {
        public string Description => "any of the endpoints to answer /_ping";

        public async Task<ReadinessCheck> CheckAsync(CancellationToken cancellationToken)
        {
            foreach (var candidate in candidates)
            {
                var failure = await EnginePing.TryAsync(candidate.Endpoint, cancellationToken).ConfigureAwait(false);
                lastFailure[candidate] = failure ?? "answered";
                if (failure is null)
                {
                    return ReadinessCheck.Ready;
                }
            }

            return ReadinessCheck.NotYet(string.Join("; ", candidates.Select(c => $"{c.Endpoint}: {lastFailure[c]}")));
        }
    }
}
