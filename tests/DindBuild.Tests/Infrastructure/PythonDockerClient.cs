namespace DindBuild.Tests.Infrastructure;

/// <summary>
/// Test code that uses Docker, as a test container runs it: the sample image has no docker CLI, so a
/// Python script speaks HTTP to the Docker socket the container was given at /var/run/docker.sock.
/// </summary>
internal static class PythonDockerClient
{
    /// <summary><c>call(method, path, body)</c> returns the status and the body (parsed when it is JSON).</summary>
    public const string Prelude = """
        import http.client, json, os, socket

        class Daemon(http.client.HTTPConnection):
            def __init__(self):
                super().__init__("docker", timeout=120)
            def connect(self):
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect("/var/run/docker.sock")

        def call(method, path, body=None):
            connection = Daemon()
            connection.request(method, path, body=None if body is None else json.dumps(body), headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            data = response.read().decode()
            connection.close()
            return response.status, (json.loads(data) if data.strip().startswith(("{", "[")) else data)

        """;

    /// <summary>DindTest arguments that make the test container run <paramref name="script"/> (the script starts with <see cref="Prelude"/> when it calls the daemon).</summary>
    public static string[] TestArguments(string script) =>
    [
        "--test-env", "PYTHON_SCRIPT=" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(script)),
        "--test-command", "python3 -c \"import base64, os; exec(base64.b64decode(os.environ['PYTHON_SCRIPT']))\"",
    ];
}
