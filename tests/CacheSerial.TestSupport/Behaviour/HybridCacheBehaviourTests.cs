using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Code written only against <see cref="HybridCache"/> (resolved from DI after <c>AsHybridCache()</c>) gets CacheSerial's
/// behaviour: values are created once, stored as CacheSerial envelopes, and options map onto CacheSerial's.
/// </summary>
public abstract class HybridCacheBehaviourTests : BehaviourTestBase
{
    [Fact]
    public async Task GetOrCreateAsync_MissThenHit_RunsFactoryOnce()
    {
        using var h = CreateHybrid(out var hybrid);
        var runs = new Counter();

        var first = await hybrid.GetOrCreateAsync("k", runs, static (r, _) => new ValueTask<Sample>(new Sample("a", r.Increment())), cancellationToken: Ct);
        var second = await hybrid.GetOrCreateAsync("k", runs, static (r, _) => new ValueTask<Sample>(new Sample("a", r.Increment())), cancellationToken: Ct);

        Assert.Equal(new Sample("a", 1), first);
        Assert.Equal(first, second);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_ConcurrentCallers_ShareOneFactoryRun()
    {
        using var h = CreateHybrid(out var hybrid);
        var runs = new Counter();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var callers = Enumerable.Range(0, 50).Select(_ => hybrid.GetOrCreateAsync("k", async ct =>
        {
            var run = runs.Increment();
            await release.Task.WaitAsync(ct);
            return "run-" + run;
        }, cancellationToken: Ct).AsTask()).ToArray();

        release.SetResult();
        var values = await Task.WhenAll(callers);

        Assert.Equal(1, runs.Value);
        Assert.All(values, v => Assert.Equal("run-1", v));
    }

    [Fact]
    public async Task SetAsync_Value_IsStoredAsCacheSerialEnvelopeUnderSameKey()
    {
        using var h = CreateHybrid(out var hybrid);

        await hybrid.SetAsync("k", new Sample("set", 7), cancellationToken: Ct);

        // Read back through CacheSerial itself: only a valid envelope for this key, type and codec is a hit.
        var result = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        Assert.True(result.HasValue);
        Assert.Equal(new Sample("set", 7), result.Value);
        Assert.NotNull(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_EntryWrittenThroughTypedCache_IsHit()
    {
        using var h = CreateHybrid(out var hybrid);
        await h.Cache.SetAsync("k", new Sample("typed", 1), cancellationToken: Ct);

        var value = await hybrid.GetOrCreateAsync<Sample>("k", _ => throw new InvalidOperationException("factory must not run"), cancellationToken: Ct);

        Assert.Equal(new Sample("typed", 1), value);
    }

    [Fact]
    public async Task RemoveAsync_Key_RemovesEntry()
    {
        using var h = CreateHybrid(out var hybrid);
        await hybrid.SetAsync("k", "v", cancellationToken: Ct);

        await hybrid.RemoveAsync("k", Ct);

        Assert.False((await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RemoveAsync_Keys_RemovesEveryEntryAndKeepsOthers()
    {
        using var h = CreateHybrid(out var hybrid);
        foreach (var key in new[] { "a", "b", "c" })
        {
            await hybrid.SetAsync(key, key, cancellationToken: Ct);
        }

        await hybrid.RemoveAsync(["a", "b"], Ct);

        Assert.False((await h.Cache.TryGetAsync<string>("a", cancellationToken: Ct)).HasValue);
        Assert.False((await h.Cache.TryGetAsync<string>("b", cancellationToken: Ct)).HasValue);
        Assert.Equal("c", (await h.Cache.TryGetAsync<string>("c", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_WithExpiration_RunsFactoryStoresAndReturnsItsValue()
    {
        using var h = CreateHybrid(out var hybrid);
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) };

        var value = await hybrid.GetOrCreateAsync("k", _ => new ValueTask<string>("v"), options, cancellationToken: Ct);

        Assert.Equal("v", value);
        await AssertEventuallyStoredAsync(h, "k", "v");
    }

    [Fact]
    public async Task SetAsync_Expiration_MapsToEntryLifetime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHybrid(out var hybrid, time);
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) };
        await hybrid.SetAsync("k", "v", options, cancellationToken: Ct);
        Assert.Equal("v", (await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).Value);

        time.Advance(TimeSpan.FromMinutes(2));

        Assert.False((await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_DisableDistributedCacheRead_RunsFactoryDespiteStoredValue()
    {
        using var h = CreateHybrid(out var hybrid);
        await hybrid.SetAsync("k", "old", cancellationToken: Ct);
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableDistributedCacheRead };

        var value = await hybrid.GetOrCreateAsync("k", _ => new ValueTask<string>("new"), options, cancellationToken: Ct);

        Assert.Equal("new", value);
    }

    [Fact]
    public async Task SetAsync_DisableDistributedCacheWrite_StoresNothing()
    {
        using var h = CreateHybrid(out var hybrid);
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableDistributedCacheWrite };

        await hybrid.SetAsync("k", "v", options, cancellationToken: Ct);

        Assert.False((await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).HasValue);
        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_DisableUnderlyingDataOnMiss_ReturnsDefaultWithoutFactory()
    {
        using var h = CreateHybrid(out var hybrid);
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData };

        var value = await hybrid.GetOrCreateAsync<Sample>("k", _ => throw new InvalidOperationException("factory must not run"), options, cancellationToken: Ct);
        var withNullFactory = await hybrid.GetOrCreateAsync<int>("n", factory: null!, options, cancellationToken: Ct);

        Assert.Null(value);
        Assert.Equal(0, withNullFactory);
        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_DisableUnderlyingDataOnHit_ReturnsStoredValue()
    {
        using var h = CreateHybrid(out var hybrid);
        await hybrid.SetAsync("k", 42, cancellationToken: Ct);
        var options = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData };

        var value = await hybrid.GetOrCreateAsync<int>("k", factory: null!, options, cancellationToken: Ct);

        Assert.Equal(42, value);
    }

    [Fact]
    public async Task SetAsync_LocalCacheOptionsAndDisableCompression_ValueIsStored()
    {
        using var h = CreateHybrid(out var hybrid);
        var options = new HybridCacheEntryOptions
        {
            LocalCacheExpiration = TimeSpan.FromSeconds(1),
            Flags = HybridCacheEntryFlags.DisableLocalCache | HybridCacheEntryFlags.DisableCompression,
        };

        await hybrid.SetAsync("k", "v", options, cancellationToken: Ct);

        Assert.Equal("v", (await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task SetAsync_WithTags_StoresValueNormally()
    {
        using var h = CreateHybrid(out var hybrid);

        await hybrid.SetAsync("k", "v", tags: ["t1", "t2"], cancellationToken: Ct);
        var created = await hybrid.GetOrCreateAsync("c", _ => new ValueTask<string>("made"), tags: ["t1"], cancellationToken: Ct);

        Assert.Equal("v", await hybrid.GetOrCreateAsync("k", _ => new ValueTask<string>("other"), cancellationToken: Ct));
        Assert.Equal("made", created);
        await AssertEventuallyStoredAsync(h, "c", "made");
    }

    [Fact]
    public async Task RemoveByTagAsync_Tag_DropsEveryEntryWithItAndKeepsTheRest()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHybrid(out var hybrid, time);
        await hybrid.SetAsync("a", "va", tags: ["t"], cancellationToken: Ct);
        await hybrid.GetOrCreateAsync("b", _ => new ValueTask<string>("vb"), tags: ["t", "u"], cancellationToken: Ct);
        await hybrid.SetAsync("c", "vc", tags: ["u"], cancellationToken: Ct);
        await AssertEventuallyStoredAsync(h, "b", "vb");
        time.Advance(TimeSpan.FromMilliseconds(1));

        await hybrid.RemoveByTagAsync("t", Ct);

        Assert.Equal("new a", await hybrid.GetOrCreateAsync("a", _ => new ValueTask<string>("new a"), cancellationToken: Ct));
        Assert.Equal("new b", await hybrid.GetOrCreateAsync("b", _ => new ValueTask<string>("new b"), cancellationToken: Ct));
        Assert.Equal("vc", await hybrid.GetOrCreateAsync("c", _ => new ValueTask<string>("new c"), cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTagAsync_ManyTags_DropsEntriesOfEach()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHybrid(out var hybrid, time);
        await hybrid.SetAsync("a", "va", tags: ["t"], cancellationToken: Ct);
        await hybrid.SetAsync("b", "vb", tags: ["u"], cancellationToken: Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));

        await hybrid.RemoveByTagAsync(["t", "u"], Ct);

        Assert.Equal("new a", await hybrid.GetOrCreateAsync("a", _ => new ValueTask<string>("new a"), cancellationToken: Ct));
        Assert.Equal("new b", await hybrid.GetOrCreateAsync("b", _ => new ValueTask<string>("new b"), cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTagAsync_Wildcard_ClearsEverything()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHybrid(out var hybrid, time);
        await hybrid.SetAsync("a", "va", tags: ["t"], cancellationToken: Ct);
        await hybrid.SetAsync("b", "vb", cancellationToken: Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));

        await hybrid.RemoveByTagAsync("*", Ct);

        Assert.Equal("new a", await hybrid.GetOrCreateAsync("a", _ => new ValueTask<string>("new a"), cancellationToken: Ct));
        Assert.Equal("new b", await hybrid.GetOrCreateAsync("b", _ => new ValueTask<string>("new b"), cancellationToken: Ct));
    }

    [Fact]
    public async Task SetAsync_AfterRemoveByTag_NewEntryWithTheTagIsKept()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHybrid(out var hybrid, time);
        await hybrid.SetAsync("a", "old", tags: ["t"], cancellationToken: Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await hybrid.RemoveByTagAsync("t", Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));

        await hybrid.SetAsync("a", "new", tags: ["t"], cancellationToken: Ct);

        Assert.Equal("new", await hybrid.GetOrCreateAsync("a", _ => new ValueTask<string>("factory"), cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTagAsync_NoTags_DoesNothing()
    {
        using var h = CreateHybrid(out var hybrid);

        await hybrid.RemoveByTagAsync([], Ct);
        await hybrid.RemoveByTagAsync((IEnumerable<string>)null!, Ct);
    }

    private CacheHarness CreateHybrid(out HybridCache hybrid, TimeProvider? time = null)
    {
        var h = CreateHarness(build: b => b.AsHybridCache(), timeProvider: time);
        hybrid = h.Services.GetRequiredService<HybridCache>();
        return h;
    }
}
