using DindBuild.Docker;
using DindBuild.Provisioning;

namespace DindBuild.Modes;

/// <summary>Base images DindBuild has a recipe for, built on the engine the build takes them from.</summary>
internal static class ImageRecipes
{
    /// <summary>PrepareImages: each such image is made current (built when missing or its recipe changed).</summary>
    public static Task EnsureAsync(RootfsImageBuilder? recipes, IDockerEngine engine, IReadOnlyList<string> baseImages, string contextDirectory, CancellationToken cancellationToken) =>
        EnsureAsync(recipes, engine, baseImages, contextDirectory, onlyWhenNeeded: false, cancellationToken);

    /// <summary>
    /// For a build (SeedImages): an image is built only when it is missing — except a stand-in, whose
    /// content follows the build context (its packages), which is made current every time.
    /// </summary>
    public static Task EnsureForBuildAsync(RootfsImageBuilder? recipes, IDockerEngine engine, IReadOnlyList<string> baseImages, string contextDirectory, CancellationToken cancellationToken) =>
        EnsureAsync(recipes, engine, baseImages, contextDirectory, onlyWhenNeeded: true, cancellationToken);

    private static async Task EnsureAsync(RootfsImageBuilder? recipes, IDockerEngine engine, IReadOnlyList<string> baseImages, string contextDirectory, bool onlyWhenNeeded, CancellationToken cancellationToken)
    {
        if (recipes is null)
        {
            return;
        }

        foreach (var image in baseImages)
        {
            if (ImageRecipe.ForImage(image, contextDirectory) is not { } recipe)
            {
                continue;
            }

            if (onlyWhenNeeded && !recipe.NeededForBuild(await engine.Images.InspectAsync(image, cancellationToken).ConfigureAwait(false)))
            {
                continue;
            }

            await recipes.EnsureAsync(engine, recipe, cancellationToken).ConfigureAwait(false);
        }
    }
}
