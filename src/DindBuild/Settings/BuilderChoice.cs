namespace DindBuild.Settings;

/// <summary>Which of the session daemon's builders builds the image (<c>--builder</c>).</summary>
public enum BuilderChoice
{
    /// <summary>BuildKit where the daemon has it (every Linux daemon from Engine 18.09), else the classic builder.</summary>
    Auto,

    /// <summary>BuildKit, or fail when the daemon has none.</summary>
    BuildKit,

    /// <summary>The legacy builder; a Dockerfile that needs BuildKit (heredocs, <c>RUN --mount</c>, <c>COPY --chmod</c>) is refused.</summary>
    Classic,
}
