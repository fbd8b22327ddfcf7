using CacheSerial.Internal;
using CacheSerial.Testing;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Internal.Invalidation;

/// <summary>
/// Several simulated processes (nodes) over one store and one in-memory backplane, on one fake clock: the hub's loops
/// (pings, retries) move only when the test advances time, and conditions are awaited, never timed.
/// </summary>
internal sealed class CoherenceRig : IDisposable
{
    public static readonly CacheEntryOptions Hour = new() { Expiration = TimeSpan.FromHours(1) };

    private readonly List<CacheNode> _nodes = [];
    private readonly string _prefix = CacheHarness.NewPrefix();

    public CoherenceRig()
    {
        Store = new ControlledStore(new InMemoryCacheStore(Time, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), withLock: false));
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public ControlledStore Store { get; }

    public InMemoryCacheBackplane Bus { get; } = new();

    public CacheNode Node(bool memory = true, ICacheBackplane? backplane = null, bool withBackplane = true, Action<MemoryTierOptions>? tier = null, ICacheStore? store = null, string? prefix = null)
    {
        var node = new CacheNode(store ?? Store, Time, prefix ?? _prefix, services: s => s.AddMetrics(), build: b =>
        {
            if (memory)
            {
                b.UseMemoryTier(tier);
            }

            if (withBackplane)
            {
                b.UseBackplane(_ => backplane ?? Bus);
            }
        });
        _nodes.Add(node);
        return node;
    }

    /// <summary>A node whose memory serves (its sources proved they deliver).</summary>
    public async Task<CacheNode> LiveNodeAsync(bool memory = true, Action<MemoryTierOptions>? tier = null)
    {
        var node = Node(memory, tier: tier);
        if (memory)
        {
            await EventuallyAsync(() => Serves(node), "the node's own ping never came back");
        }

        return node;
    }

    public static MemoryTier Memory(CacheNode node) => CacheInternals.MemoryOf(node.Cache)!;

    public static bool Serves(CacheNode node) => Memory(node).IsTrusted;

    public static int LogCount(CacheNode node, int eventId) => node.Logs.Collector.GetSnapshot().Count(r => r.Id.Id == eventId);

    public static InvalidationHub Hub(CacheNode node) => CacheInternals.HubOf(node.Cache);

    /// <summary>Whether memory holds a servable entry for the key (looked up without touching the store).</summary>
    public static bool Holds(CacheNode node, string key) =>
        Memory(node).TryGet<string>(key, Json, Policy, out _) == MemoryLookup.Hit;

    /// <summary>Runs a write and waits until its message was delivered (so it cannot evict what the test reads next).</summary>
    public async Task SettledAsync(Func<ValueTask> write)
    {
        var published = Bus.Published;
        await write();
        await EventuallyAsync(() => Bus.Published > published, "the write was never published");
    }

    /// <summary>Waits (real time, generous) for a condition the hub's background work makes true.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string message)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message);
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Moves the fake clock in small steps until the condition holds (the hub's timers fire on it).</summary>
    public async Task AdvanceUntilAsync(Func<bool> condition, string message, TimeSpan? step = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message);
            Time.Advance(step ?? TimeSpan.FromMilliseconds(100));
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    // Strings are kept decoded, so the codec named in a lookup does not matter.
    private static readonly CodecInfo Json = new(new SystemTextJsonCodec());
    private static readonly EntryPolicy Policy = new EntryPolicyResolver(new CacheEntryOptions()).Resolve(Hour);

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }
    }
}
