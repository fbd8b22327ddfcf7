namespace CacheSerial.TestSupport;

/// <summary>The repository checkout the running test assembly was built from (the folder holding CacheSerial.sln).</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    /// <summary>The absolute path of the repository root.</summary>
    public static string Path => Root.Value;

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "CacheSerial.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No CacheSerial.sln above {AppContext.BaseDirectory}.");
    }
}
