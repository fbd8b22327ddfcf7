using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.Packaging;
using CacheSerial.TestSupport;

namespace CacheSerial.IntegrationTests.Samples;

/// <summary>
/// The README's sample (samples/CacheSerial.Samples.Console), run as a user runs it against the fixture's Redis: it
/// ends with exit code 0 and reports what the cache did. Only the steps whose outcome does not depend on timing are
/// checked line by line (expiration and sliding steps sleep on the real clock and only have to finish).
/// </summary>
public sealed class ConsoleSampleTests(RedisFixture redis) : RedisTestBase(redis)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Sample_AgainstRedis_RunsEveryStepAndReportsOutcomes()
    {
        var run = await DotnetCli.RunAsync(RepositoryRoot.Path, [SampleAssembly(), "--redis", Redis.Endpoint], RunTimeout, Ct);
        var lines = run.Output.Split('\n', StringSplitOptions.TrimEntries);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Done.", lines);
        Assert.Contains(lines, l => l.StartsWith("call 3:", StringComparison.Ordinal) && l.EndsWith("(hit: decoded from the store)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("System.Text.Json + zstd", StringComparison.Ordinal) && l.EndsWith("(reads back 20 products)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("System.Text.Json + GZip", StringComparison.Ordinal) && l.EndsWith("(reads back 20 products)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("the entry is now a CacheSerial envelope again", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("the entry is valid again (a hit)", StringComparison.Ordinal));
        AssertStep(lines, "after the writes", "10 hit, 11 hit, 12 hit");
        AssertStep(lines, "RemoveByTagAsync(\"category:shoes\")", "10 miss, 11 hit, 12 miss");
        AssertStep(lines, "RemoveByTagAsync(\"catalogue\")", "10 miss, 11 miss, 12 miss");
        AssertStep(lines, "SetAsync(product:11) again", "10 miss, 11 hit, 12 miss");
        AssertStep(lines, "ClearAsync()", "10 miss, 11 miss, 12 miss; the default cache (another prefix) still hits product:1");
    }

    private static void AssertStep(string[] lines, string step, string outcome)
    {
        var line = Assert.Single(lines, l => l.StartsWith(step + " ", StringComparison.Ordinal));
        Assert.EndsWith("-> " + outcome, line, StringComparison.Ordinal);
    }

    /// <summary>The sample as built with this test assembly's configuration (the csproj builds it first).</summary>
    private static string SampleAssembly()
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var path = Path.Combine(RepositoryRoot.Path, "samples", "CacheSerial.Samples.Console", "bin", configuration, framework.Name, "CacheSerial.Samples.Console.dll");
        Assert.True(File.Exists(path), $"{path} was not built");
        return path;
    }
}
