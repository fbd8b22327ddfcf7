using CacheSerial.IntegrationTests.Faults;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// The end-to-end audit: three nodes write and read a small key set concurrently for a few seconds, then stop; every node
/// then reads every key and compares it with what the store holds. Any difference that does not go away is a stale
/// value a memory tier kept after its invalidation was lost or raced.
/// </summary>
public sealed class StaleAuditCoherenceTests
{
    private const int Keys = 16;
    private static readonly TimeSpan WritingFor = TimeSpan.FromSeconds(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(CoherenceSetup.All), MemberType = typeof(CoherenceSetup))]
    public async Task ConcurrentWriters_AfterTheyStop_EveryNodeAgreesWithStore(string setup)
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var cluster = await CoherenceCluster.StartAsync(3, CoherenceSetup.For(setup, redis.Endpoint), Ct);
        CoherenceSetup.AssertSourcesWork(setup, cluster);
        var keys = Enumerable.Range(0, Keys).Select(i => "key" + i).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(WritingFor);

        var writes = 0;
        var workers = cluster.Nodes.Select((node, n) => Task.Run(async () =>
        {
            var random = new Random(n);
            var sequence = 0;
            while (!stop.IsCancellationRequested)
            {
                var key = keys[random.Next(keys.Length)];
                if (random.Next(4) == 0)
                {
                    await node.WriteAsync(key, $"{node}-{sequence++}", Ct);
                    Interlocked.Increment(ref writes);
                }
                else
                {
                    await node.ReadAsync(key, Ct); // keeps memory full of entries that the writes must evict
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        Assert.True(writes > Keys, $"only {writes} writes in {WritingFor}");

        string stale = "(not audited)";
        await Eventually.HoldsAsync(
            async () =>
            {
                var differences = new List<string>();
                foreach (var key in keys)
                {
                    var truth = await cluster.Reference.ReadAsync(key, Ct);
                    foreach (var node in cluster.Nodes)
                    {
                        var seen = await node.ReadAsync(key, Ct);
                        if (seen != truth)
                        {
                            differences.Add($"{node}:{key}={seen ?? "(none)"} (store {truth ?? "(none)"})");
                        }
                    }
                }

                stale = string.Join(", ", differences);
                return differences.Count == 0;
            },
            "no node serves a value the store no longer holds",
            Ct,
            () => stale);
    }
}
