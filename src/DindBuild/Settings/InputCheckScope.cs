namespace DindBuild.Settings;

/// <summary>Which inputs a target needs, so that <see cref="InputChecks"/> checks those and no others.</summary>
[Flags]
public enum InputCheckScope
{
    None = 0,

    /// <summary>The context directory, the Dockerfile in it and the <c>--target-stage</c> are needed.</summary>
    Build = 1,

    /// <summary>The host artifacts directory must be writable.</summary>
    Artifacts = 2,

    All = Build | Artifacts,
}
