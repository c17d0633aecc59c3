using System.Text;
using DindBuild.Docker;
using DindBuild.ImageBuild.BuildKit;

namespace DindBuild.ImageBuild.Session;

/// <summary>
/// The gRPC methods the session serves to the daemon: BuildKit's secrets provider (<c>docker build --secret</c>) and the
/// health check BuildKit polls to keep the session; anything else is UNIMPLEMENTED. Values never leave through here
/// except as the answer to GetSecret.
/// </summary>
internal sealed class SessionServices(IReadOnlyList<BuildSecret> secrets)
{
    public const string GetSecret = "/moby.buildkit.secrets.v1.Secrets/GetSecret";
    public const string HealthCheck = "/grpc.health.v1.Health/Check";

    /// <summary>Served methods, as the session's X-Docker-Expose-Session-Grpc-Method headers announce them.</summary>
    public static IReadOnlyList<string> Methods { get; } = [GetSecret, HealthCheck];

    private int _healthChecks;
    private readonly List<string> _secretsAsked = [];
    private readonly List<string> _otherMethods = [];

    public int HealthChecks => _healthChecks;

    /// <summary>The ids the daemon asked for, in order (ids only, never values).</summary>
    public IReadOnlyList<string> SecretsAsked
    {
        get
        {
            lock (_secretsAsked)
            {
                return [.. _secretsAsked];
            }
        }
    }

    /// <summary>Methods the daemon called that are not served (answered UNIMPLEMENTED), at most the first 20.</summary>
    public IReadOnlyList<string> OtherMethods
    {
        get
        {
            lock (_otherMethods)
            {
                return [.. _otherMethods];
            }
        }
    }

    public GrpcResult Call(string path, ReadOnlySpan<byte> request) => path switch
    {
        HealthCheck => Health(),
        GetSecret => Secret(request),
        _ => Unimplemented(path),
    };

    private GrpcResult Unimplemented(string path)
    {
        lock (_otherMethods)
        {
            if (_otherMethods.Count < 20)
            {
                _otherMethods.Add(path);
            }
        }

        return GrpcResult.Fail(GrpcResult.Unimplemented, $"unknown method {path}");
    }

    private GrpcResult Health()
    {
        Interlocked.Increment(ref _healthChecks);

        // grpc.health.v1.HealthCheckResponse { ServingStatus status = 1; } with SERVING = 1.
        return GrpcResult.Success(GrpcMessages.VarintField(1, 1));
    }

    /// <summary>GetSecretRequest { string ID = 1; map&lt;string,string&gt; annotations = 2; } → GetSecretResponse { bytes data = 1; }.</summary>
    private GrpcResult Secret(ReadOnlySpan<byte> request)
    {
        string? id = null;
        try
        {
            var reader = new ProtoReader(request);
            while (reader.TryReadTag(out var field, out var type))
            {
                if (field == 1 && type == ProtoReader.WireType.LengthDelimited)
                {
                    id = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                }
                else
                {
                    reader.Skip(type);
                }
            }
        }
        catch (InvalidDataException)
        {
            id = null;
        }

        if (id is null)
        {
            return GrpcResult.Fail(GrpcResult.InvalidArgument, "a GetSecretRequest without a readable ID");
        }

        lock (_secretsAsked)
        {
            _secretsAsked.Add(id);
        }

        // NOT_FOUND is what BuildKit's own provider answers: the frontend then fails a required=true mount with
        // "secret ID not found" and leaves an optional one out.
        var secret = secrets.FirstOrDefault(candidate => candidate.Id == id);
        return secret is null
            ? GrpcResult.Fail(GrpcResult.NotFound, $"secret {id} not found")
            : GrpcResult.Success(GrpcMessages.BytesField(1, secret.Value.Span));
    }
}
