using CacheSerial.Internal;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Fakes;
using CacheSerial.Tests.Behaviour;

namespace CacheSerial.Tests.Internal;

/// <summary>
/// Concurrent reads of one key share one store call (<see cref="SharedRead"/>): the store is gated so the reads are
/// certainly concurrent, and the number of store reads is counted.
/// </summary>
public sealed class ReadCoalescingTests
{
    private const int Readers = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public sealed record Item(string Name, int Size);

    [Fact]
    public async Task TryGetAsync_ConcurrentReadsOfOneKey_OneStoreReadEqualValuesDistinctInstances()
    {
        var (h, chaos) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", new Item("a", 1), cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;

        var reads = Enumerable.Range(0, Readers).Select(_ => h.Cache.TryGetAsync<Item>("k", cancellationToken: Ct).AsTask()).ToArray();
        var storeReads = chaos.Reads;
        chaos.OpenGate();
        var results = await Task.WhenAll(reads);

        Assert.Equal(1, storeReads);
        Assert.Equal(1, chaos.Reads);
        Assert.All(results, r => Assert.Equal(new Item("a", 1), r.Value));
        Assert.Equal(Readers, results.Select(r => r.Value).Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public async Task GetOrCreateAsync_ConcurrentCallsOfOneStoredKey_OneStoreReadNoFactoryRun()
    {
        var (h, chaos) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", 7, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;
        var runs = 0;

        var calls = Enumerable.Range(0, Readers)
            .Select(_ => h.Cache.GetOrCreateAsync("k", _ => new ValueTask<int>(Interlocked.Increment(ref runs) + 100), cancellationToken: Ct).AsTask())
            .ToArray();
        chaos.OpenGate();

        Assert.All(await Task.WhenAll(calls), v => Assert.Equal(7, v));
        Assert.Equal(1, chaos.Reads);
        Assert.Equal(0, runs);
    }

    [Fact]
    public async Task TryGetAsync_AfterSetCompleted_DoesNotJoinOlderReadAndGetsNewValue()
    {
        var (h, chaos) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;

        var older = h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask();
        await h.Cache.SetAsync("k", 2, cancellationToken: Ct);
        var newer = h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask();
        var storeReads = chaos.Reads;
        chaos.OpenGate();

        Assert.Equal(2, storeReads);
        Assert.Equal(2, (await newer).Value);
        await older;
    }

    [Fact]
    public async Task TryGetAsync_AfterRemoveCompleted_DoesNotJoinOlderRead()
    {
        var (h, chaos) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;

        var older = h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask();
        await h.Cache.RemoveAsync("k", Ct);
        var newer = h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask();
        var storeReads = chaos.Reads;
        chaos.OpenGate();

        Assert.Equal(2, storeReads);
        Assert.False((await newer).HasValue);
        await older;
    }

    [Fact]
    public async Task TryGetAsync_DifferentSlidingExpiration_DoesNotJoin()
    {
        var (h, chaos) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;

        var first = h.Cache.TryGetAsync<int>("k", new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) }, Ct).AsTask();
        var second = h.Cache.TryGetAsync<int>("k", new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(2) }, Ct).AsTask();
        var third = h.Cache.TryGetAsync<int>("k", new CacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(2) }, Ct).AsTask();
        var storeReads = chaos.Reads;
        chaos.OpenGate();

        Assert.Equal(2, storeReads);
        Assert.Equal(1, (await first).Value);
        Assert.Equal(1, (await second).Value);
        Assert.Equal(1, (await third).Value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task TryGetAsync_OneWaiterCanceled_OthersStillGetTheValue(int canceled)
    {
        var (h, chaos) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", 5, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // Reader 0 starts the store read, reader 1 joins it; either one is canceled.
        var reads = Enumerable.Range(0, 3)
            .Select(i => h.Cache.TryGetAsync<int>("k", cancellationToken: i == canceled ? cts.Token : Ct).AsTask())
            .ToArray();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reads[canceled]);
        chaos.OpenGate();

        foreach (var read in reads.Where((_, i) => i != canceled))
        {
            Assert.Equal(5, (await read).Value);
        }

        Assert.Equal(1, chaos.Reads);
        Assert.Equal(CacheStoreState.Healthy, CacheInternals.BreakerOf(h.Cache).State);
    }

    [Fact]
    public async Task TryGetAsync_SharedStoreReadFails_AllMissOneBreakerFailureOneLogLine()
    {
        var failing = ChaosDistributedCache.Wrap(InMemoryStores.CreateBuffered());
        failing.ReadFault = StoreFault.Throw;
        var gated = ChaosDistributedCache.Wrap(failing);
        gated.ReadFault = StoreFault.Gated;
        using var h = new CacheHarness(gated, o => o.CircuitBreakerFailureThreshold = 2);

        var reads = Enumerable.Range(0, Readers).Select(_ => h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask()).ToArray();
        gated.OpenGate();
        var results = await Task.WhenAll(reads);

        Assert.All(results, r => Assert.False(r.HasValue));
        Assert.Equal(1, gated.Reads);
        Assert.Single(h.LogRecords(1001));
        var breaker = CacheInternals.BreakerOf(h.Cache);
        Assert.Equal(CacheStoreState.Degraded, breaker.State); // one failure counted: under the threshold of two, so still closed
        Assert.Equal(0, breaker.Transitions);
    }

    [Fact]
    public async Task TryGetAsync_AfterSharedRead_LaterConcurrentReadsOfOtherSizesAreIntact()
    {
        var (h, chaos) = Create();
        using var _ = h;
        var big = new Item(new string('a', 3000), 3000);
        var small = new Item(new string('b', 300), 300);
        var larger = new Item(new string('c', 6000), 6000);
        await h.Cache.SetAsync("k", big, cancellationToken: Ct);
        await h.Cache.SetAsync("small", small, cancellationToken: Ct);
        await h.Cache.SetAsync("larger", larger, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;

        var shared = Enumerable.Range(0, Readers).Select(_ => h.Cache.TryGetAsync<Item>("k", cancellationToken: Ct).AsTask()).ToArray();
        chaos.OpenGate();
        Assert.All(await Task.WhenAll(shared), r => Assert.Equal(big, r.Value));

        // Had the shared buffer gone back to the pool twice, two of these reads would fill the same buffer.
        for (var round = 0; round < 3; round++)
        {
            var k = h.Cache.TryGetAsync<Item>("k", cancellationToken: Ct).AsTask();
            var s = h.Cache.TryGetAsync<Item>("small", cancellationToken: Ct).AsTask();
            var l = h.Cache.TryGetAsync<Item>("larger", cancellationToken: Ct).AsTask();
            chaos.OpenGate();
            Assert.Equal(big, (await k).Value);
            Assert.Equal(small, (await s).Value);
            Assert.Equal(larger, (await l).Value);
        }
    }

    [Fact]
    public async Task TryGetAsync_ReadAfterSharedReadEnded_StartsAFreshRead()
    {
        var (h, chaos) = Create();
        using var _ = h;
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;

        var first = h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask();
        chaos.OpenGate();
        Assert.Equal(1, (await first).Value);
        var second = h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask();
        chaos.OpenGate();

        Assert.Equal(1, (await second).Value);
        Assert.Equal(2, chaos.Reads);
    }

    private static (CacheHarness Harness, ChaosDistributedCache Chaos) Create()
    {
        var chaos = ChaosDistributedCache.Wrap(InMemoryStores.CreateBuffered());
        return (new CacheHarness(chaos), chaos);
    }
}
