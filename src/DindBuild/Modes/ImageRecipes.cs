using DindBuild.Docker;
using DindBuild.Provisioning;

namespace DindBuild.Modes;

/// <summary>PrepareImages for base images: those DindBuild has a recipe for are built on the engine the build takes them from.</summary>
internal static class ImageRecipes
{
    public static async Task EnsureAsync(RootfsImageBuilder? recipes, IDockerEngine engine, IReadOnlyList<string> baseImages, CancellationToken cancellationToken)
    {
        if (recipes is null)
        {
            return;
        }

        foreach (var recipe in baseImages.Select(ImageRecipe.ForImage).OfType<ImageRecipe>())
        {
            await recipes.EnsureAsync(engine, recipe, cancellationToken).ConfigureAwait(false);
        }
    }
}
