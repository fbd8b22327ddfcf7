using CacheSerial.Benchmarks.Compare;
using CacheSerial.Benchmarks.Compare.Contenders;
using CacheSerial.IntegrationTests.Infrastructure;

namespace CacheSerial.IntegrationTests.Benchmarks;

/// <summary>
/// A seconds-long run of every comparison scenario over every contender on the fixture's Redis (one quick round), so a
/// scenario or contender that breaks fails CI rather than the next benchmark run. Nothing here asserts a timing.
/// </summary>
public sealed class CompareSmokeTests(RedisFixture redis) : RedisTestBase(redis)
{
    [Fact]
    public async Task RunAsync_OneQuickRound_EveryScenarioMeasuresEveryContender()
    {
        var settings = CompareSettings.Parse(["--quick", "--rounds", "1"]);
        var contenders = ContenderCatalog.CreateAll();
        var report = new CompareReport
        {
            Machine = "smoke test",
            RedisServer = Redis.Description,
            Packages = [],
            Contenders = [.. contenders.Select(c => new KeyValuePair<string, string>(c.Name, c.Description))],
            Settings = "one quick round",
            FloorName = RawRedisContender.FloorName,
            ReferenceName = ContenderCatalog.ReferenceName,
        };
        var log = new StringWriter();
        var runner = new CompareRunner(settings, log);
        try
        {
            await runner.PrepareAsync(contenders, Redis.Connection, $"bench-smoke:{Guid.NewGuid():N}:", Ct);
            await runner.RunAsync(contenders, report, Ct);
        }
        finally
        {
            foreach (var contender in contenders)
            {
                await contender.DisposeAsync();
            }
        }

        Assert.False(report.HasFailures, string.Join(Environment.NewLine, report.Failures.Concat(
            report.Tables.SelectMany(t => t.Rows.Where(r => r.Failure is not null).Select(r => $"{t.Title} / {r.Contender}: {r.Failure}")))) + Environment.NewLine + log);
        Assert.NotEmpty(report.Tables);
        foreach (var table in report.Tables)
        {
            Assert.Equal(contenders.Select(c => c.Name), table.Rows.Select(r => r.Contender));
            foreach (var row in table.Rows)
            {
                Assert.True(row.NotApplicable is not null || row.Samples.Count == 1, $"{table.Title} / {row.Contender}: {row.Samples.Count} samples");
            }
        }

        var markdown = ReportWriter.Write(report);
        Assert.All(report.Tables, t => Assert.Contains(t.Title, markdown, StringComparison.Ordinal));

        // The bulk scenario through each contender's own API ran for at least the floor's MGET.
        Assert.Contains(report.Tables, t => t.Rows.Any(r => r.Contender == RawRedisContender.FloorName && r.NotApplicable is null && r.Samples.Count == 1));
    }
}
