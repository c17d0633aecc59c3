using System.Text;
using System.Text.Json.Nodes;
using DindBuild.SocketPolicy;

namespace DindBuild.Tests.Infrastructure;

/// <summary>Requests put to a <see cref="RequestPolicy"/> as the proxy puts them: the head checked first, then the body.</summary>
internal static class PolicyRequests
{
    /// <summary>The target the policy sends on (null: unchanged) for a request with one extra header line.</summary>
    public static async Task<string?> CheckHeadAsync(this RequestPolicy policy, string method, string target, string header = "Content-Type: application/json")
    {
        var head = HttpHead.ParseRequest(Encoding.Latin1.GetBytes($"{method} {target} HTTP/1.1\r\nHost: docker\r\n{header}\r\n\r\n"));
        return await policy.CheckHeadAsync(ApiRoute.Classify(method, target), head, TestContext.Current.CancellationToken);
    }

    /// <summary>The body the policy sends on for a POST of <paramref name="body"/> to <paramref name="target"/>, parsed.</summary>
    public static async Task<JsonObject> InspectAsync(this RequestPolicy policy, string target, string body)
    {
        await policy.CheckHeadAsync("POST", target);
        var forwarded = await policy.InspectAsync(ApiRoute.Classify("POST", target), Encoding.UTF8.GetBytes(body), TestContext.Current.CancellationToken);
        return JsonNode.Parse(forwarded)!.AsObject();
    }
}
