using System.Diagnostics.Tracing;
using System.Globalization;
using CacheSerial.Benchmarks.Model;
using StackExchange.Redis;

namespace CacheSerial.Benchmarks.Compare;

/// <summary>
/// The <c>allocations</c> verb: what one contender's hits allocate, by type. .NET 10's randomized allocation sampling
/// (the runtime's AllocationSampled event: on average one sample per 100 KB, at random byte offsets, so unlike the
/// periodic AllocationTick it does not alias with a loop's repeating allocation pattern) picks objects with a chance
/// proportional to their size; over many hits the samples per type give that type's share of the bytes. Shows which
/// part of a hit's bytes belong to whom (the object graph, the Redis client, the cache).
/// </summary>
public static class AllocationProfile
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken = default)
    {
        var names = args.Count > 0 ? args : ["CacheSerial native JSON", Contenders.RawRedisContender.FloorName];
        await using var server = await RedisServerProcess.StartAsync(
            RedisServerProcess.FindExecutable() ?? throw new InvalidOperationException("No redis-server found."), cancellationToken);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
        foreach (var name in names)
        {
            var contender = ContenderCatalog.CreateAll().SingleOrDefault(c => c.Name == name)
                ?? throw new ArgumentException($"No contender named '{name}'. Contenders: {string.Join(", ", ContenderCatalog.CreateAll().Select(c => c.Name))}");
            await using (contender)
            {
                await contender.SetupAsync(new ContenderEnvironment(connection, $"cacheserial-alloc:{Guid.NewGuid().ToString("N")[..8]}:", TimeSpan.FromMinutes(10)), cancellationToken);
                await CompareRunner.SeedAndVerifyAsync(contender, bulkKeys: 0, cancellationToken);
                Report(name, await ProfileAsync(contender, cancellationToken));
            }
        }

        return 0;
    }

    private const int Hits = 100_000;

    private static async Task<(long Bytes, Dictionary<string, long> Sampled)> ProfileAsync(ICacheContender contender, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 2_000; i++)
        {
            await contender.HitAsync(Workload.HitKey, cancellationToken);
        }

        using var listener = new AllocationListener();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < Hits; i++)
        {
            await contender.HitAsync(Workload.HitKey, cancellationToken);
        }

        var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
        return (bytes, listener.Snapshot());
    }

    private static void Report(string name, (long Bytes, Dictionary<string, long> Sampled) profile)
    {
        var perHit = (double)profile.Bytes / Hits;
        var sampledTotal = Math.Max(1, profile.Sampled.Values.Sum());
        Console.WriteLine($"{name}: {perHit.ToString("N0", CultureInfo.InvariantCulture)} B per hit over {Hits:N0} hits (whole process); sampled by type:");
        foreach (var (type, sampled) in profile.Sampled.OrderByDescending(p => p.Value).Take(25))
        {
            var share = (double)sampled / sampledTotal;
            Console.WriteLine($"  {(share * perHit).ToString("N0", CultureInfo.InvariantCulture),7} B  {share,6:P1}  {type}");
        }

        Console.WriteLine();
    }

    /// <summary>Counts allocation samples by type name.</summary>
    private sealed class AllocationListener : EventListener
    {
        private readonly Dictionary<string, long> _sampled = [];
        private bool _on;

        public Dictionary<string, long> Snapshot()
        {
            lock (_sampled)
            {
                _on = false;
                return new Dictionary<string, long>(_sampled);
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x80000000000); // AllocationSampling keyword
                lock (_sampled)
                {
                    _on = true;
                }
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName != "AllocationSampled" || eventData.Payload is null)
            {
                return;
            }

            var type = eventData.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload[t] as string ?? "?" : "?";
            lock (_sampled)
            {
                if (_on)
                {
                    _sampled[type] = _sampled.GetValueOrDefault(type) + 1; // each sample stands for the same expected number of bytes
                }
            }
        }
    }
}
