using DindBuild.ImageBuild.Session;

namespace DindBuild.Tests.Unit;

public sealed class GrpcMessagesTests
{
    [Fact]
    public void A_framed_message_reads_back_as_itself()
    {
        byte[] message = [0x0a, 0x03, (byte)'a', (byte)'b', (byte)'c'];

        var framed = GrpcMessages.Frame(message);

        Assert.Equal([0, 0, 0, 0, 5, .. message], framed);
        Assert.True(GrpcMessages.TryReadSingle(framed, out var read, out _));
        Assert.Equal(message, read.ToArray());
    }

    [Theory]
    [InlineData("000000", "shorter than a message prefix")]
    [InlineData("0100000001aa", "compressed")]
    [InlineData("0000000005aa", "a message of 5 bytes in a body with 1")]
    [InlineData("0000000001aa0000000001bb", "one message expected")]
    public void Anything_but_one_uncompressed_message_is_refused(string hex, string problem)
    {
        Assert.False(GrpcMessages.TryReadSingle(Convert.FromHexString(hex), out _, out var why));
        Assert.Contains(problem, why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_GetSecretRequest_is_INVALID_ARGUMENT_not_a_crash()
    {
        var services = new SessionServices([]);

        var result = services.Call(SessionServices.GetSecret, [0x0a, 0x7f, 0x01]);

        Assert.Equal(GrpcResult.InvalidArgument, result.Status);
        Assert.Empty(services.SecretsAsked);
    }
}
