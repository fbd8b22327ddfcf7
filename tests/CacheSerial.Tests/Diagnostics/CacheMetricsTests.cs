using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace CacheSerial.Tests.Diagnostics;

public sealed class CacheMetricsTests
{
    private const string Key = "secret-key:42";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TryGetAsync_MissThenHit_CountsOneMissAndOneHitTaggedWithCacheAndCodec()
    {
        await using var h = new TelemetryHarness();
        using var hits = h.Collect<long>("cacheserial.hits");
        using var misses = h.Collect<long>("cacheserial.misses");

        await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct);
        await h.Cache.SetAsync(Key, "value", cancellationToken: Ct);
        await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct);

        var miss = Assert.Single(misses.GetMeasurementSnapshot());
        var hit = Assert.Single(hits.GetMeasurementSnapshot());
        Assert.Equal(1, hit.Value);
        Assert.Equal(h.Name, hit.Tags["cache.name"]);
        Assert.Equal("stj", hit.Tags["cacheserial.codec"]);
        Assert.Equal(h.Name, miss.Tags["cache.name"]);
        AssertNoKey(hit, miss);
    }

    [Fact]
    public async Task TryGetAsync_StaleEntryUnderFailSafe_CountsStaleHitNotHit()
    {
        await using var h = new TelemetryHarness();
        using var hits = h.Collect<long>("cacheserial.hits");
        using var stale = h.Collect<long>("cacheserial.stale_hits");
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), FailSafe = true };
        await h.Cache.SetAsync(Key, "value", options, Ct);
        h.Time.Advance(TimeSpan.FromMinutes(2));

        var result = await h.Cache.TryGetAsync<string>(Key, options, Ct);

        Assert.True(result.IsStale);
        Assert.Single(stale.GetMeasurementSnapshot());
        Assert.Empty(hits.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task GetOrCreateAsync_NegativeResultThenLookup_CountsFactoryRunAndNegativeHit()
    {
        await using var h = new TelemetryHarness();
        using var runs = h.Collect<long>("cacheserial.factory.runs");
        using var negative = h.Collect<long>("cacheserial.negative_hits");
        using var hits = h.Collect<long>("cacheserial.hits");

        for (var i = 0; i < 2; i++)
        {
            await h.Cache.GetOrCreateAsync(Key, 0, static (_, ctx, _) =>
            {
                ctx.IsNegative = true;
                return new ValueTask<string?>((string?)null);
            }, cancellationToken: Ct);
        }

        var run = Assert.Single(runs.GetMeasurementSnapshot());
        Assert.Equal(h.Name, run.Tags["cache.name"]);
        Assert.Single(negative.GetMeasurementSnapshot());
        Assert.Single(hits.GetMeasurementSnapshot()); // a negative hit is a hit too
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrows_CountsFailureWithErrorType()
    {
        await using var h = new TelemetryHarness();
        using var failures = h.Collect<long>("cacheserial.factory.failures");

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await h.Cache.GetOrCreateAsync<int, string>(Key, 0, static (_, _, _) => throw new InvalidOperationException("boom"), cancellationToken: Ct));

        var failure = Assert.Single(failures.GetMeasurementSnapshot());
        Assert.Equal(typeof(InvalidOperationException).FullName, failure.Tags["error.type"]);
    }

    [Fact]
    public async Task TryGetAsync_StoreReadThrows_CountsStoreErrorWithOperationAndErrorType()
    {
        await using var h = new TelemetryHarness();
        using var errors = h.Collect<long>("cacheserial.store.errors");
        using var misses = h.Collect<long>("cacheserial.misses");
        h.Store.ReadFault = StoreFault.Faulted;

        await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct);

        var error = Assert.Single(errors.GetMeasurementSnapshot());
        Assert.Equal("read", error.Tags["cacheserial.operation"]);
        Assert.Equal(typeof(ChaosException).FullName, error.Tags["error.type"]);
        Assert.Single(misses.GetMeasurementSnapshot());
        AssertNoKey(error);
    }

    [Fact]
    public async Task TryGetAsync_ForeignBytes_CountsRejectedEntryByReason()
    {
        await using var h = new TelemetryHarness();
        using var rejected = h.Collect<long>("cacheserial.entries.rejected");
        await h.Store.Inner.SetAsync(h.StoreKey(Key), "not an envelope"u8.ToArray(), new(), Ct);

        await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct);

        var entry = Assert.Single(rejected.GetMeasurementSnapshot());
        Assert.Equal("not_an_envelope", entry.Tags["cacheserial.reason"]);
        Assert.Equal("stj", entry.Tags["cacheserial.codec"]);
    }

    [Fact]
    public async Task SetAsync_TooLargeOrExpired_CountsSkippedWritesByReason()
    {
        await using var h = new TelemetryHarness(o => o.MaximumPayloadBytes = 16);
        using var skipped = h.Collect<long>("cacheserial.writes.skipped");

        await h.Cache.SetAsync(Key, new string('x', 100), cancellationToken: Ct);
        await h.Cache.SetAsync(Key, "v", new CacheEntryOptions { AbsoluteExpiration = h.Time.GetUtcNow().AddMinutes(-1) }, Ct);

        Assert.Equal(["too_large", "expired"], skipped.GetMeasurementSnapshot().Select(m => (string?)m.Tags["cacheserial.reason"]));
        Assert.Equal(0, h.Store.Writes);
    }

    [Fact]
    public async Task BreakerOpensThenCloses_CountsTransitionsAndSkippedWrites()
    {
        await using var h = new TelemetryHarness(o =>
        {
            o.CircuitBreakerFailureThreshold = 1;
            o.CircuitBreakerDuration = TimeSpan.FromSeconds(5);
        });
        using var transitions = h.Collect<long>("cacheserial.breaker.transitions");
        using var skipped = h.Collect<long>("cacheserial.writes.skipped");
        h.Store.ReadFault = StoreFault.Faulted;

        await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct); // fails: opens
        await h.Cache.SetAsync(Key, "v", cancellationToken: Ct);       // skipped
        h.Store.ReadFault = StoreFault.None;
        h.Time.Advance(TimeSpan.FromSeconds(6));
        await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct); // the probe succeeds: closes

        Assert.Equal(["open", "closed"], transitions.GetMeasurementSnapshot().Select(m => (string?)m.Tags["cacheserial.breaker.state"]));
        Assert.Equal("breaker_open", Assert.Single(skipped.GetMeasurementSnapshot()).Tags["cacheserial.reason"]);
    }

    [Fact]
    public async Task Histograms_RecordDurationPayloadAndCodecPerDirection()
    {
        await using var h = new TelemetryHarness();
        using var duration = h.Collect<double>("cacheserial.operation.duration");
        using var payload = h.Collect<long>("cacheserial.payload.size");
        using var codec = h.Collect<double>("cacheserial.codec.duration");

        await h.Cache.SetAsync(Key, "value", cancellationToken: Ct);
        await h.Cache.TryGetAsync<string>(Key, cancellationToken: Ct);
        await h.Cache.RemoveAsync(Key, Ct);

        var operations = duration.GetMeasurementSnapshot();
        Assert.Equal(
            ["set/ok", "get/hit", "remove/ok"],
            operations.Select(m => $"{m.Tags["cacheserial.operation"]}/{m.Tags["cacheserial.outcome"]}"));
        Assert.All(operations, m => Assert.True(m.Value >= 0));
        var sizes = payload.GetMeasurementSnapshot();
        Assert.Equal(["write", "read"], sizes.Select(m => (string?)m.Tags["cacheserial.direction"]));
        Assert.All(sizes, m => Assert.Equal(7, m.Value)); // "value" in JSON, quotes included
        Assert.Equal(["write", "read"], codec.GetMeasurementSnapshot().Select(m => (string?)m.Tags["cacheserial.direction"]));
        AssertNoKey([.. operations.Select(m => m.Tags)]);
    }

    [Fact]
    public async Task GetManyAsync_DuplicateKeys_OneLookupPerDistinctKey()
    {
        await using var h = new TelemetryHarness();
        using var hits = h.Collect<long>("cacheserial.hits");
        using var misses = h.Collect<long>("cacheserial.misses");
        await h.Cache.SetAsync("a", 1, cancellationToken: Ct);

        await h.Cache.GetManyAsync<int>(["a", "a", "b", "b", "c"], cancellationToken: Ct);

        Assert.Single(hits.GetMeasurementSnapshot());
        Assert.Equal(2, misses.GetMeasurementSnapshot().Count);
        Assert.Equal(3, h.Store.Reads); // the default multi-key read: one single read per distinct key
    }

    [Fact]
    public async Task TwoProviders_CountOnlyTheirOwnCaches()
    {
        await using var a = new TelemetryHarness();
        await using var b = new TelemetryHarness();
        using var missesA = a.Collect<long>("cacheserial.misses");

        await b.Cache.TryGetAsync<string>(Key, cancellationToken: Ct);

        Assert.Empty(missesA.GetMeasurementSnapshot());
    }

    private static void AssertNoKey<T>(params CollectedMeasurement<T>[] measurements)
        where T : struct =>
        AssertNoKey([.. measurements.Select(m => m.Tags)]);

    private static void AssertNoKey(params IReadOnlyDictionary<string, object?>[] tags) =>
        Assert.All(tags.SelectMany(t => t.Values), v => Assert.DoesNotContain("secret-key", v?.ToString() ?? string.Empty, StringComparison.Ordinal));
}
