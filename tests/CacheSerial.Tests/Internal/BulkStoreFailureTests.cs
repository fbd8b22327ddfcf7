using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Tests.Internal;

/// <summary>
/// Bulk calls under the cache's store deadline and circuit breaker (on a fake clock, through the chaos store): one
/// multi-key store call counts once, a failed or late one makes every key a miss, and writes are logged, never thrown.
/// </summary>
public sealed class BulkStoreFailureTests
{
    private static readonly string[] Keys = ["a", "b", "c"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> BufferPaths => new() { false, true };

    [Theory]
    [MemberData(nameof(BufferPaths))]
    public async Task GetManyAsync_StoreReadFails_AllMissesAndOneFailureCounted(bool bufferPath)
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath, configure: o => o.CircuitBreakerFailureThreshold = 2);
        using var __ = h;
        await h.Cache.SetManyAsync<int>([new("a", 1), new("b", 2), new("c", 3)], cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Faulted;

        var results = await h.Cache.GetManyAsync<int>(Keys, cancellationToken: Ct);

        Assert.All(results, r => Assert.False(r.HasValue));
        var warning = Assert.Single(h.LogRecords(1001));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.DoesNotContain("'a'", warning.Message, StringComparison.Ordinal);
        Assert.Equal(CacheStoreState.Degraded, Health(h).State); // one failure of three keys: below the threshold of 2
        Assert.Contains("3 keys: a, b, c", Assert.Single(h.LogRecords(1005)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BufferPaths))]
    public async Task GetManyAsync_StoreSlowerThanDeadline_AllMissesLoggedAsTimeout(bool bufferPath)
    {
        var (h, chaos, time) = StoreDeadlineTests.Create(bufferPath);
        using var _ = h;
        await h.Cache.SetManyAsync<int>([new("a", 1), new("b", 2)], cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;

        var read = h.Cache.GetManyAsync<int>(["a", "b"], cancellationToken: Ct).AsTask();
        await StoreDeadlineTests.AdvanceUntilCompletedAsync(time, read);

        Assert.All(await read, r => Assert.False(r.HasValue));
        Assert.Contains(nameof(TimeoutException), Assert.Single(h.LogRecords(1001)).Message, StringComparison.Ordinal);
        chaos.OpenGate(); // the abandoned reads end later without an unobserved exception
    }

    [Fact]
    public async Task BulkCalls_BreakerOpen_SkipTheStore()
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath: true, configure: o => o.CircuitBreakerFailureThreshold = 1);
        using var __ = h;
        chaos.ReadFault = StoreFault.Faulted;
        await h.Cache.GetManyAsync<int>(Keys, cancellationToken: Ct); // opens the breaker
        var reads = chaos.Reads;

        var results = await h.Cache.GetManyAsync<int>(Keys, cancellationToken: Ct);
        await h.Cache.SetManyAsync<int>([new("a", 1), new("b", 2)], cancellationToken: Ct);

        Assert.Equal(CacheStoreState.Unavailable, Health(h).State);
        Assert.All(results, r => Assert.False(r.HasValue));
        Assert.Equal(reads, chaos.Reads);
        Assert.Equal(0, chaos.Writes);
        Assert.Contains("2 keys: a, b", Assert.Single(h.LogRecords(1006)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BufferPaths))]
    public async Task SetManyAsync_StoreWriteFails_LoggedNotThrown(bool bufferPath)
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath);
        using var __ = h;
        chaos.WriteFault = StoreFault.FaultedLater;

        await h.Cache.SetManyAsync<int>([new("a", 1), new("b", 2)], cancellationToken: Ct);

        Assert.Single(h.LogRecords(1002));
    }

    [Fact]
    public async Task SetManyAsync_StoreSlowerThanDeadline_ReturnsAndKeepsBuffersUntilStoreIsDone()
    {
        var (h, chaos, time) = StoreDeadlineTests.Create(bufferPath: true);
        using var _ = h;
        chaos.WriteFault = StoreFault.Gated;
        var write = h.Cache.SetManyAsync<string>([new("a", new string('a', 2000)), new("b", new string('b', 2000))], cancellationToken: Ct).AsTask();
        await StoreDeadlineTests.AdvanceUntilCompletedAsync(time, write);
        await write;
        Assert.Contains(nameof(TimeoutException), Assert.Single(h.LogRecords(1002)).Message, StringComparison.Ordinal);

        // Had the batch's buffers gone back to the pool, these writes of the same sizes would reuse them and the gated
        // writes would then store other keys' bytes.
        chaos.WriteFault = StoreFault.None;
        await h.Cache.SetManyAsync<string>([new("x", new string('x', 2000)), new("y", new string('y', 2000))], cancellationToken: Ct);
        chaos.OpenGate();

        await StoreDeadlineTests.AssertEventuallyAsync(async () => (await h.Cache.GetManyAsync<string>(["a", "b"], cancellationToken: Ct)).All(r => r.HasValue));
        var values = await h.Cache.GetManyAsync<string>(["a", "b", "x", "y"], cancellationToken: Ct);
        Assert.Equal([new string('a', 2000), new string('b', 2000), new string('x', 2000), new string('y', 2000)], values.Select(r => r.Value));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_StoreDown_FactoryValuesReturned()
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath: true);
        using var __ = h;
        chaos.AllFaults = StoreFault.Faulted;

        var values = await h.Cache.GetOrCreateManyAsync<int>(Keys, (keys, _) =>
            new ValueTask<IReadOnlyDictionary<string, int>>(keys.ToDictionary(k => k, k => (int)k[0])), cancellationToken: Ct);

        Assert.Equal(new Dictionary<string, int> { ["a"] = 'a', ["b"] = 'b', ["c"] = 'c' }, values);
        Assert.Single(h.LogRecords(1001));
        Assert.Single(h.LogRecords(1002));
    }

    [Fact]
    public async Task SetManyAsync_KeyHoldsWrongType_ReplacedBySingleWrites()
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath: true);
        using var __ = h;
        chaos.HoldWrongType(h.StoreKey("b"));

        await h.Cache.SetManyAsync<int>([new("a", 1), new("b", 2)], cancellationToken: Ct);

        Assert.Equal([1, 2], (await h.Cache.GetManyAsync<int>(["a", "b"], cancellationToken: Ct)).Select(r => r.Value));
        Assert.Single(h.LogRecords(1008));
        Assert.Empty(h.LogRecords(1002));
    }

    [Fact]
    public async Task GetManyAsync_CallerCancelsDuringSlowRead_ThrowsWithoutStoreFailure()
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath: true);
        using var __ = h;
        chaos.ReadFault = StoreFault.Gated;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var read = h.Cache.GetManyAsync<int>(Keys, cancellationToken: cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        Assert.Empty(h.LogRecords(1001));
        Assert.Equal(CacheStoreState.Healthy, Health(h).State);
        chaos.OpenGate();
    }

    private static ICacheStoreHealth Health(TestSupport.CacheHarness h) => (ICacheStoreHealth)h.Cache;
}
