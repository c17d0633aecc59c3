namespace DindBuild.ImageBuild;

/// <summary>One Dockerfile instruction after continuations are joined.</summary>
/// <param name="Keyword">The instruction word as written (<c>FROM</c>, <c>arg</c>, ...); compare it ignoring case.</param>
/// <param name="Arguments">Everything after the keyword, trimmed, not yet expanded.</param>
/// <param name="LineNumber">The 1-based line the instruction starts on.</param>
internal readonly record struct DockerfileInstruction(string Keyword, string Arguments, int LineNumber);
