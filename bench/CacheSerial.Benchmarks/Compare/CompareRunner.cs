using CacheSerial.Benchmarks.Model;
using StackExchange.Redis;

namespace CacheSerial.Benchmarks.Compare;

/// <summary>
/// Runs every scenario over every contender in interleaved rounds and collects a <see cref="CompareReport"/>.
/// A contender that throws gets its row marked failed; the others go on.
/// </summary>
public sealed class CompareRunner(CompareSettings settings, TextWriter log)
{
    private readonly Dictionary<ICacheContender, string> _broken = [];

    /// <summary>Sets up, seeds and verifies every contender; a failure is recorded and that contender left out of the rounds.</summary>
    public async Task PrepareAsync(
        IReadOnlyList<ICacheContender> contenders, IConnectionMultiplexer connection, string runPrefix, CancellationToken cancellationToken)
    {
        for (var i = 0; i < contenders.Count; i++)
        {
            var contender = contenders[i];
            try
            {
                var environment = new ContenderEnvironment(connection, $"{runPrefix}{i}:", TimeSpan.FromMinutes(10));
                await contender.SetupAsync(environment, cancellationToken);
                await SeedAndVerifyAsync(contender, settings.BulkKeys, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                _broken[contender] = "setup failed: " + Describe(ex);
                log.WriteLine($"  {contender.Name}: FAILED to set up: {Describe(ex)}");
            }
        }
    }

    /// <summary>Writes the hit key and the bulk keys, then checks a hit returns exactly what was written.</summary>
    public static async Task SeedAndVerifyAsync(ICacheContender contender, int bulkKeys, CancellationToken cancellationToken)
    {
        await contender.SetAsync(Workload.HitKey, Workload.Expected, cancellationToken);
        var keys = Workload.BulkKeys(bulkKeys);
        for (var k = 0; k < keys.Count; k++)
        {
            await contender.SetAsync(keys[k], Workload.BulkValue(k), cancellationToken);
        }

        var read = await contender.HitAsync(Workload.HitKey, cancellationToken);
        if (!read.Equals(Workload.Expected))
        {
            throw new InvalidOperationException($"{contender.Name} returned another object than it stored.");
        }
    }

    /// <summary>Warms up and measures; <paramref name="contenders"/> is every contender (failed ones keep a failed row).</summary>
    public async Task RunAsync(IReadOnlyList<ICacheContender> contenders, CompareReport report, CancellationToken cancellationToken)
    {
        Scenario[] scenarios =
        [
            new HitLatencyScenario(settings),
            new HitThroughputScenario(settings),
            new MissSetScenario(settings),
            new StampedeScenario(settings),
            new BulkReadScenario(settings, BulkMode.Sequential),
            new BulkReadScenario(settings, BulkMode.Parallel),
            new BulkReadScenario(settings, BulkMode.Native),
            new HitAllocationScenario(settings),
        ];

        log.WriteLine($"Warm-up: {settings.WarmupOps} hits and {settings.WarmupOps / 4} misses per contender, one round of every scenario.");
        foreach (var contender in contenders.Where(c => !_broken.ContainsKey(c)))
        {
            await GuardAsync(contender, null, () => WarmUpAsync(contender, scenarios, cancellationToken));
        }

        var active = contenders.Where(c => !_broken.ContainsKey(c)).ToList();

        foreach (var scenario in scenarios)
        {
            var tables = scenario.CreateTables(settings);
            report.Tables.AddRange(tables);
            foreach (var contender in contenders)
            {
                foreach (var table in tables)
                {
                    table.Row(contender.Name); // report order = catalogue order, whatever the round order
                }
            }

            log.WriteLine($"{string.Join(" / ", tables.Select(t => t.Title))}: {settings.Rounds} rounds");
            for (var round = 0; round < settings.Rounds; round++)
            {
                for (var i = 0; i < active.Count; i++)
                {
                    var contender = active[(i + round) % active.Count];
                    if (tables.Any(t => t.Row(contender.Name).Failure is not null))
                    {
                        continue;
                    }

                    await GuardAsync(contender, tables, async () =>
                    {
                        var result = await scenario.RunAsync(contender, round, cancellationToken);
                        foreach (var table in tables)
                        {
                            var row = table.Row(contender.Name);
                            if (result is null)
                            {
                                row.NotApplicable = scenario.NotApplicableReason;
                                continue;
                            }

                            row.Samples.Add(result.Values[table.Id]);
                            row.AllocatedBytesPerOp.Add(result.AllocatedBytesPerOp);
                        }
                    });
                }
            }

            foreach (var table in tables)
            {
                log.Write(ReportWriterConsole.Summarize(table));
            }
        }

        foreach (var (contender, failure) in _broken)
        {
            foreach (var table in report.Tables)
            {
                table.Row(contender.Name).Failure ??= failure;
            }
        }
    }

    private async Task WarmUpAsync(ICacheContender contender, Scenario[] scenarios, CancellationToken cancellationToken)
    {
        for (var i = 0; i < settings.WarmupOps; i++)
        {
            await contender.HitAsync(Workload.HitKey, cancellationToken);
        }

        for (var i = 0; i < settings.WarmupOps / 4; i++)
        {
            await contender.GetOrCreateAsync($"warm:{i}", static _ => ValueTask.FromResult(Workload.Expected), cancellationToken);
        }

        foreach (var scenario in scenarios)
        {
            await scenario.RunAsync(contender, round: -1, cancellationToken);
        }
    }

    private async Task GuardAsync(ICacheContender contender, IReadOnlyList<MetricTable>? tables, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex)
        {
            var failure = Describe(ex);
            log.WriteLine($"  {contender.Name}: FAILED: {failure}");
            if (tables is null)
            {
                _broken[contender] = "warm-up failed: " + failure;
                return;
            }

            foreach (var table in tables)
            {
                table.Row(contender.Name).Failure = failure;
            }
        }
    }

    private static string Describe(Exception ex)
    {
        var inner = ex is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[0] : ex;
        return $"{inner.GetType().Name}: {inner.Message}";
    }
}

/// <summary>A one-line-per-contender console summary of a table as soon as it is complete.</summary>
internal static class ReportWriterConsole
{
    public static string Summarize(MetricTable table) =>
        $"  [{table.Title}]{Environment.NewLine}" + string.Concat(table.Rows.Select(r =>
            $"  {r.Contender,-32} {(r.Failure is not null ? "FAILED" : r.Median is { } m ? ReportWriter.FormatNumber(m) + " " + table.Unit : "n/a")}{Environment.NewLine}"));
}
