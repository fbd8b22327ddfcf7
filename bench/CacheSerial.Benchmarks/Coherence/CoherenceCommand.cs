using System.Diagnostics;
using System.Globalization;
using System.Text;
using CacheSerial.Benchmarks.Compare;

namespace CacheSerial.Benchmarks.Coherence;

/// <summary>
/// The <c>coherence</c> verb: for each way of keeping memory levels coherent (CacheSerial's backplane, CacheSerial's
/// server-assisted tracking, FusionCache's backplane), on one Redis, with every node on its own connections:
/// (1) invalidation lag: node A writes a new value while node B spins reading the key from its memory level, timed
/// from the start of A's write to the first read on B that returns the new value; (2) three nodes reading one hot key
/// set while one writes, then, after writes stop and a short settle, an audit reading every key on every node against
/// the last value written.
/// </summary>
public static class CoherenceCommand
{
    private const int Nodes = 3;
    private const int HotKeys = 1_000;
    private static readonly TimeSpan SampleLimit = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(250);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var samples = 500;
        var seconds = 5;
        string? redis = null, output = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--samples": samples = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--redis": redis = args[++i]; break;
                case "--output": output = args[++i]; break;
                default: throw new ArgumentException($"Unknown argument {args[i]}; use --samples N --seconds N --redis host:port --output path.");
            }
        }

        RedisServerProcess? child = null;
        if (redis is null)
        {
            var executable = RedisServerProcess.FindExecutable() ?? throw new InvalidOperationException("No redis-server found: install it or pass --redis host:port.");
            child = await RedisServerProcess.StartAsync(executable, CancellationToken.None);
            redis = child.Endpoint;
        }

        try
        {
            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {RunEnvironment.Machine()}; Redis {(child is null ? redis : $"child redis-server on {redis}")}; {samples} lag samples, {seconds} s hot-set run per source.");
            report.AppendLine();
            report.AppendLine("| Source | Lag p50 | Lag p99 | Lag max | Not seen in 5 s | Hot set reads/s (3 nodes) | Writes/s | Stale after writes stop + 250 ms |");
            report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var source in CoherenceSource.All)
            {
                Console.WriteLine($"coherence: {source.Name}");
                var prefix = $"coh:{Guid.NewGuid().ToString("N")[..8]}";
                var nodes = new List<ICoherenceNode>();
                try
                {
                    for (var n = 0; n < Nodes; n++)
                    {
                        nodes.Add(await source.CreateNodeAsync(redis, prefix));
                    }

                    var (lags, unseen) = await MeasureLagAsync(nodes[0], nodes[1], samples);
                    var hot = await HotSetAsync(nodes, TimeSpan.FromSeconds(seconds));
                    report.AppendLine(CultureInfo.InvariantCulture,
                        $"| {source.Name} | {Ms(Percentile(lags, 0.50))} | {Ms(Percentile(lags, 0.99))} | {Ms(lags.Count == 0 ? 0 : lags.Max())} | {unseen} | {hot.ReadsPerSecond:N0} | {hot.WritesPerSecond:N0} | {hot.Stale} of {Nodes * HotKeys} |");
                }
                finally
                {
                    foreach (var node in nodes)
                    {
                        await node.DisposeAsync();
                    }
                }
            }

            report.AppendLine();
            foreach (var source in CoherenceSource.All)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"- {source.Name}: {source.Description}.");
            }

            Console.WriteLine();
            Console.Write(report);
            if (output is not null)
            {
                await File.WriteAllTextAsync(output, report.ToString());
            }

            return 0;
        }
        finally
        {
            if (child is not null)
            {
                await child.DisposeAsync();
            }
        }
    }

    /// <summary>Times, per sample, from the start of the writer's set to the observer's first read of the new value.</summary>
    private static async Task<(List<double> Lags, int Unseen)> MeasureLagAsync(ICoherenceNode writer, ICoherenceNode observer, int samples)
    {
        const string key = "lag";
        var lags = new List<double>(samples);
        var unseen = 0;
        await writer.SetAsync(key, "0");
        for (var i = 1; i <= samples; i++)
        {
            var previous = (i - 1).ToString(CultureInfo.InvariantCulture);
            var target = i.ToString(CultureInfo.InvariantCulture);

            // The observer holds the previous value in memory before the write starts.
            var settle = Stopwatch.StartNew();
            while (await observer.ReadAsync(key) != previous && settle.Elapsed < SampleLimit)
            {
            }

            await observer.ReadAsync(key);
            long seenAt = 0;
            var spinner = new Thread(() =>
            {
                var limit = Stopwatch.StartNew();
                while (limit.Elapsed < SampleLimit)
                {
                    var read = observer.ReadAsync(key);
                    var value = read.IsCompletedSuccessfully ? read.Result : read.AsTask().GetAwaiter().GetResult();
                    if (value == target)
                    {
                        seenAt = Stopwatch.GetTimestamp();
                        return;
                    }

                    // Poll, do not hog: on a 2-core machine a tight loop starves the threads that deliver the message.
                    Thread.Yield();
                }
            }) { IsBackground = true };
            spinner.Start();
            var start = Stopwatch.GetTimestamp();
            await writer.SetAsync(key, target);
            spinner.Join();
            if (seenAt == 0)
            {
                unseen++;
            }
            else
            {
                lags.Add(Stopwatch.GetElapsedTime(start, seenAt).TotalMilliseconds);
            }
        }

        return (lags, unseen);
    }

    private static async Task<(double ReadsPerSecond, double WritesPerSecond, int Stale)> HotSetAsync(List<ICoherenceNode> nodes, TimeSpan duration)
    {
        var latest = new string[HotKeys];
        for (var k = 0; k < HotKeys; k++)
        {
            latest[k] = "v0";
            await nodes[0].SetAsync(Key(k), latest[k]);
        }

        using var stop = new CancellationTokenSource(duration);
        long reads = 0, writes = 0;
        var readers = nodes.Select((node, n) => Task.Run(async () =>
        {
            var random = new Random(n);
            long mine = 0;
            while (!stop.IsCancellationRequested)
            {
                await node.ReadAsync(Key(random.Next(HotKeys)));

                // Memory hits complete synchronously: yield now and then, or three readers on two cores starve the
                // writer and the message delivery this run is about.
                if (++mine % 256 == 0)
                {
                    await Task.Yield();
                }
            }

            Interlocked.Add(ref reads, mine);
        })).ToArray();
        var writer = Task.Run(async () =>
        {
            var random = new Random(99);
            var version = 0;
            while (!stop.IsCancellationRequested)
            {
                var k = random.Next(HotKeys);
                var value = "v" + (++version).ToString(CultureInfo.InvariantCulture);
                await nodes[0].SetAsync(Key(k), value);
                Volatile.Write(ref latest[k], value);
                Interlocked.Increment(ref writes);
                await Task.Delay(1);
            }
        });
        await Task.WhenAll([.. readers, writer]);
        await Task.Delay(Settle);

        var stale = 0;
        foreach (var node in nodes)
        {
            for (var k = 0; k < HotKeys; k++)
            {
                if (await node.ReadAsync(Key(k)) != latest[k])
                {
                    stale++;
                }
            }
        }

        return (reads / duration.TotalSeconds, writes / duration.TotalSeconds, stale);
    }

    private static string Key(int k) => "hot:" + k.ToString(CultureInfo.InvariantCulture);

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " ms";
}
