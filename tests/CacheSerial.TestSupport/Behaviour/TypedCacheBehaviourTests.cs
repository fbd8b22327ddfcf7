using CacheSerial.TestSupport.Envelopes;
using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// The core contract of <see cref="ITypedCache"/> that every store must show: hits and misses, cached nulls,
/// get-or-create, the factory context, removal and the per-call flags.
/// </summary>
public abstract class TypedCacheBehaviourTests : BehaviourTestBase
{
    [Fact]
    public async Task SetAsync_ThenTryGetAsync_ReturnsHit()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct);

        var result = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.True(result.HasValue);
        Assert.False(result.IsStale);
        Assert.Equal(new Sample("a", 1), result.Value);
    }

    [Fact]
    public async Task TryGetAsync_MissingKey_ReturnsMiss()
    {
        using var h = CreateHarness();

        var result = await h.Cache.TryGetAsync<Sample>("missing", cancellationToken: Ct);

        Assert.False(result.HasValue);
        Assert.Null(result.Value);
        Assert.Equal(CacheResult<Sample>.Miss, result);
    }

    [Fact]
    public async Task TryGetAsync_CachedNull_ReturnsHitWithNull()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync<Sample?>("k", null, cancellationToken: Ct);

        var result = await h.Cache.TryGetAsync<Sample?>("k", cancellationToken: Ct);

        Assert.True(result.HasValue);
        Assert.Null(result.Value);
    }

    [Fact]
    public async Task TryGetAsync_CachedNullNullableValueType_ReturnsHitWithNull()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync<int?>("k", null, cancellationToken: Ct);

        var result = await h.Cache.TryGetAsync<int?>("k", cancellationToken: Ct);

        Assert.True(result.HasValue);
        Assert.Null(result.Value);
    }

    [Fact]
    public async Task TryGetAsync_CachedDefaultValueType_ReturnsHitWithDefault()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 0, cancellationToken: Ct);

        var result = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.True(result.HasValue);
        Assert.Equal(0, result.Value);
    }

    [Fact]
    public async Task SetAsync_Null_StoresNullFlagAndEmptyPayload()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync<Sample?>("k", null, cancellationToken: Ct);

        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);

        Assert.True(envelope.IsWellFormed);
        Assert.Equal(1, envelope.Flags);
        Assert.Equal(0, envelope.PayloadLength);
    }

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsDefault()
    {
        using var h = CreateHarness();

        Assert.Null(await h.Cache.GetAsync<Sample>("missing", cancellationToken: Ct));
        Assert.Equal(0, await h.Cache.GetAsync<int>("missing", cancellationToken: Ct));
    }

    [Fact]
    public async Task GetAsync_CachedValue_ReturnsValue()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 42, cancellationToken: Ct);

        Assert.Equal(42, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task SetAsync_ExistingKey_OverwritesValue()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct);
        await h.Cache.SetAsync("k", new Sample("b", 2), cancellationToken: Ct);

        Assert.Equal(new Sample("b", 2), await h.Cache.GetAsync<Sample>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_Miss_RunsFactoryOnceAndStoresValue()
    {
        using var h = CreateHarness();
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync("k", Counting(runs, new Sample("made", 7)), cancellationToken: Ct);

        Assert.Equal(new Sample("made", 7), value);
        Assert.Equal(1, runs.Value);
        var stored = await h.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        Assert.True(stored.HasValue);
        Assert.Equal(new Sample("made", 7), stored.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_Hit_DoesNotRunFactory()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("cached", 1), cancellationToken: Ct);
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync("k", Counting(runs, new Sample("made", 2)), cancellationToken: Ct);

        Assert.Equal(new Sample("cached", 1), value);
        Assert.Equal(0, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_SecondCall_ReturnsStoredValueWithoutFactory()
    {
        using var h = CreateHarness();
        var runs = new Counter();

        var first = await h.Cache.GetOrCreateAsync("k", Counting(runs, new Sample("made", 1)), cancellationToken: Ct);
        var second = await h.Cache.GetOrCreateAsync("k", Counting(runs, new Sample("other", 2)), cancellationToken: Ct);

        Assert.Equal(first, second);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_CachedNull_IsHitAndDoesNotRunFactory()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync<Sample?>("k", null, cancellationToken: Ct);
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync<Sample?>("k", Counting<Sample?>(runs, new Sample("made", 1)), cancellationToken: Ct);

        Assert.Null(value);
        Assert.Equal(0, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryReturnsNull_CachesNull()
    {
        using var h = CreateHarness();
        var runs = new Counter();

        var first = await h.Cache.GetOrCreateAsync<Sample?>("k", Counting<Sample?>(runs, null), cancellationToken: Ct);
        var cached = await h.Cache.TryGetAsync<Sample?>("k", cancellationToken: Ct);

        Assert.Null(first);
        Assert.True(cached.HasValue);
        Assert.Null(cached.Value);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_StateOverload_PassesStateKeyAndToken()
    {
        using var h = CreateHarness();
        string? seenKey = null;
        var seenToken = new CancellationToken(canceled: true);

        var value = await h.Cache.GetOrCreateAsync(
            "the-key",
            (Prefix: "p", Number: 5),
            (state, ctx, token) =>
            {
                seenKey = ctx.Key;
                seenToken = token;
                return new ValueTask<Sample>(new Sample(state.Prefix, state.Number));
            },
            cancellationToken: Ct);

        Assert.Equal(new Sample("p", 5), value);
        Assert.Equal("the-key", seenKey);
        Assert.True(seenToken.CanBeCanceled);
        Assert.False(seenToken.IsCancellationRequested);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryContext_StartsWithEffectiveLifetime()
    {
        using var h = CreateHarness(o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(42) });
        CacheFactoryContext? defaults = null;
        CacheFactoryContext? perCall = null;
        var absolute = DateTimeOffset.UtcNow.AddHours(1);

        await h.Cache.GetOrCreateAsync("a", (ctx, _) =>
        {
            defaults = ctx;
            return new ValueTask<int>(1);
        }, cancellationToken: Ct);
        await h.Cache.GetOrCreateAsync("b", (ctx, _) =>
        {
            perCall = ctx;
            return new ValueTask<int>(2);
        }, new CacheEntryOptions { AbsoluteExpiration = absolute, SlidingExpiration = TimeSpan.FromMinutes(3) }, Ct);

        Assert.NotNull(defaults);
        Assert.Equal(TimeSpan.FromSeconds(42), defaults.Expiration);
        Assert.Null(defaults.AbsoluteExpiration);
        Assert.Null(defaults.SlidingExpiration);
        Assert.False(defaults.DoNotCache);
        Assert.NotNull(perCall);
        Assert.Null(perCall.Expiration); // the lifetime trio is inherited as a group
        Assert.Equal(absolute, perCall.AbsoluteExpiration);
        Assert.Equal(TimeSpan.FromMinutes(3), perCall.SlidingExpiration);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactorySetsExpiration_EntryUsesItFromTheWrite()
    {
        // The lifetime runs from the write; the entry is dated when the factory started (docs/tags.md), 5 ms earlier.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        var started = time.GetUtcNow().ToUnixTimeMilliseconds();

        await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            ctx.Expiration = TimeSpan.FromMilliseconds(123_456);
            time.Advance(TimeSpan.FromMilliseconds(5));
            return new ValueTask<int>(1);
        }, new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) }, Ct);

        var envelope = EnvelopeBytes.Parse(await StoredBytesAsync(h, "k"));
        Assert.Equal(started, envelope.CreatedAtMs);
        Assert.Equal(started + 5 + 123_456, envelope.ExpiresAtMs);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactorySetsAbsoluteExpiration_EntryUsesIt()
    {
        using var h = CreateHarness();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds());

        await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            ctx.Expiration = null;
            ctx.AbsoluteExpiration = at;
            return new ValueTask<int>(1);
        }, cancellationToken: Ct);

        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);
        Assert.Equal(at.ToUnixTimeMilliseconds(), envelope.ExpiresAtMs);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactorySetsDoNotCache_ReturnsValueWithoutStoring()
    {
        using var h = CreateHarness();
        var runs = new Counter();

        var first = await h.Cache.GetOrCreateAsync("k", (ctx, _) =>
        {
            runs.Increment();
            ctx.DoNotCache = true;
            return new ValueTask<int>(5);
        }, cancellationToken: Ct);
        var stored = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        var raw = await h.ReadRawAsync("k", Ct);
        var second = await h.Cache.GetOrCreateAsync("k", Counting(runs, 6), cancellationToken: Ct);

        Assert.Equal(5, first);
        Assert.False(stored.HasValue);
        Assert.Null(raw);
        Assert.Equal(6, second);
        Assert.Equal(2, runs.Value);
    }

    [Fact]
    public async Task SetAsync_WithoutOptions_UsesDefaultExpiration()
    {
        using var h = CreateHarness(o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(77) });

        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);
        Assert.Equal(77_000, envelope.ExpiresAtMs - envelope.CreatedAtMs);
    }

    [Fact]
    public async Task SetAsync_ExpirationOverload_UsesThatExpiration()
    {
        using var h = CreateHarness();

        await h.Cache.SetAsync("k", 1, TimeSpan.FromMilliseconds(4_321), Ct);

        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);
        Assert.Equal(4_321, envelope.ExpiresAtMs - envelope.CreatedAtMs);
    }

    [Fact]
    public async Task RemoveAsync_ExistingKey_RemovesEntry()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        await h.Cache.RemoveAsync("k", Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task RemoveAsync_MissingKey_Completes()
    {
        using var h = CreateHarness();

        await h.Cache.RemoveAsync("missing", Ct);

        Assert.Empty(h.LogRecords().Where(r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Warning));
    }

    [Fact]
    public async Task RemoveAsync_OnlyRemovesThatKey()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("a", 1, cancellationToken: Ct);
        await h.Cache.SetAsync("b", 2, cancellationToken: Ct);

        await h.Cache.RemoveAsync("a", Ct);

        Assert.Equal(2, await h.Cache.GetAsync<int>("b", cancellationToken: Ct));
    }

    [Fact]
    public async Task TryGetAsync_SkipRead_ReturnsMissWithoutReadingStore()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        var result = await h.Cache.TryGetAsync<int>("k", new CacheEntryOptions { Flags = CacheEntryFlags.SkipRead }, Ct);

        Assert.False(result.HasValue);
        Assert.Equal(0, chaos.Reads);
    }

    [Fact]
    public async Task GetOrCreateAsync_SkipRead_RunsFactoryAndOverwritesEntry()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync("k", Counting(runs, 2), new CacheEntryOptions { Flags = CacheEntryFlags.SkipRead }, Ct);

        Assert.Equal(2, value);
        Assert.Equal(1, runs.Value);
        Assert.Equal(2, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task SetAsync_SkipWrite_DoesNotWriteStore()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);

        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Flags = CacheEntryFlags.SkipWrite }, Ct);

        Assert.Equal(0, chaos.Writes);
        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_SkipWrite_ReturnsValueWithoutStoring()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync("k", Counting(runs, 3), new CacheEntryOptions { Flags = CacheEntryFlags.SkipWrite }, Ct);

        Assert.Equal(3, value);
        Assert.Equal(0, chaos.Writes);
        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_SkipReadAndSkipWrite_AlwaysRunsFactoryAndNeverTouchesStore()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos);
        var runs = new Counter();
        var options = new CacheEntryOptions { Flags = CacheEntryFlags.SkipRead | CacheEntryFlags.SkipWrite };

        await h.Cache.GetOrCreateAsync("k", Counting(runs, 1), options, Ct);
        await h.Cache.GetOrCreateAsync("k", Counting(runs, 1), options, Ct);

        Assert.Equal(2, runs.Value);
        Assert.Equal(0, chaos.Reads);
        Assert.Equal(0, chaos.Writes);
    }

    [Fact]
    public async Task DefaultFlags_SkipWrite_AppliesUnlessCallOverrides()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos, o => o.DefaultEntryOptions = new CacheEntryOptions
        {
            Expiration = TimeSpan.FromMinutes(1),
            Flags = CacheEntryFlags.SkipWrite,
        });

        await h.Cache.SetAsync("skipped", 1, cancellationToken: Ct);
        await h.Cache.SetAsync("written", 2, new CacheEntryOptions { Flags = CacheEntryFlags.None }, Ct);

        Assert.Equal(1, chaos.Writes);
        Assert.False((await h.Cache.TryGetAsync<int>("skipped", cancellationToken: Ct)).HasValue);
        Assert.Equal(2, await h.Cache.GetAsync<int>("written", cancellationToken: Ct));
    }

    [Fact]
    public async Task SetAsync_InvalidCodecValue_ThrowsCacheSerializationExceptionAndStoresNothing()
    {
        using var h = CreateHarness();

        var ex = await Assert.ThrowsAsync<CacheSerializationException>(
            async () => await h.Cache.SetAsync("k", new SelfReferencing(), cancellationToken: Ct));

        Assert.NotNull(ex.InnerException);
        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryValueCodecCannotWrite_ThrowsCacheSerializationException()
    {
        using var h = CreateHarness();

        await Assert.ThrowsAsync<CacheSerializationException>(
            async () => await h.Cache.GetOrCreateAsync("k", _ => new ValueTask<SelfReferencing>(new SelfReferencing()), cancellationToken: Ct));

        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task TryGetAsync_SameKeyDifferentCaches_SamePrefix_SeeEachOthersEntries()
    {
        using var writer = CreateHarness();
        using var reader = CreateHarness(prefix: writer.Prefix);

        await writer.Cache.SetAsync("k", new Sample("shared", 1), cancellationToken: Ct);

        Assert.Equal(new Sample("shared", 1), await reader.Cache.GetAsync<Sample>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task StoredEntry_IsWellFormedEnvelope()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("k", new Sample("a", 1), cancellationToken: Ct);

        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);

        Assert.True(envelope.IsWellFormed);
        Assert.Equal(1, envelope.Version);
        Assert.Equal(0, envelope.Flags);
        Assert.Equal("stj", envelope.CodecName);
        Assert.Equal(0, envelope.SchemaVersion);
        Assert.True(envelope.ExpiresAtMs > envelope.CreatedAtMs);
    }
}
