namespace DindBuild.ImageBuild.Session;

/// <summary>HTTP/2 error codes (RFC 9113 §7) the session server sends in GOAWAY and RST_STREAM.</summary>
internal enum Http2Error : uint
{
    None = 0x0,
    Protocol = 0x1,
    Internal = 0x2,
    FlowControl = 0x3,
    StreamClosed = 0x5,
    FrameSize = 0x6,
    RefusedStream = 0x7,
    Cancel = 0x8,
    Compression = 0x9,
    EnhanceYourCalm = 0xb,
}

/// <summary>The daemon broke the protocol: the connection ends with a GOAWAY naming <see cref="Error"/>.</summary>
internal sealed class Http2ProtocolException(Http2Error error, string message) : Exception($"HTTP/2 {error}: {message}")
{
    public Http2Error Error { get; } = error;
}
