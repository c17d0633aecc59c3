using DindBuild.Provisioning;

namespace DindBuild.Compose;

/// <summary>
/// PrepareImages with <c>--compose-file</c>: DindBuild's own offline images (<see cref="ImageRecipe.Known"/>) that the
/// compose files name. A text search, not the model: PrepareImages runs before any daemon (and compose) is there, and
/// building one image too many is harmless where missing one fails the run offline.
/// </summary>
internal static class ComposeRecipeImages
{
    public static IReadOnlyList<string> Named(IReadOnlyList<string> composeFiles)
    {
        var texts = composeFiles.Where(File.Exists).Select(File.ReadAllText).ToList();
        return [.. ImageRecipe.Known.Select(recipe => recipe.ImageName).Where(name => texts.Any(text => text.Contains(name, StringComparison.Ordinal)))];
    }
}
