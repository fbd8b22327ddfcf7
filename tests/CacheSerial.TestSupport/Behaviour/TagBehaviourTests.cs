using System.Buffers.Binary;
using CacheSerial.TestSupport.Envelopes;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Tags, <see cref="ITypedCache.RemoveByTagAsync"/> and <see cref="ITypedCache.ClearAsync"/> (docs/tags.md): an entry
/// written at or before a removal of one of its tags (or a clear) is a miss on every path (single, bulk, get-or-create,
/// memory tier), a later write is visible, other tags, untagged entries and other prefixes are untouched, and a bad tag
/// throws at the call site with nothing stored.
/// </summary>
/// <remarks>
/// The cache's clock is a <see cref="FakeTimeProvider"/> that only moves when a test moves it: the rule compares unix
/// milliseconds (a write in the removal's millisecond counts as before it), so a test states which millisecond each
/// write and removal happens in instead of depending on the machine's speed.
/// </remarks>
public abstract class TagBehaviourTests : BehaviourTestBase
{
    private static readonly CacheEntryOptions Product = Tagged("product:42");
    private static readonly CacheEntryOptions Catalogue = Tagged("catalogue");

    public static TheoryData<string, string?> InvalidTags => new()
    {
        { "null", null },
        { "empty", string.Empty },
        { "white-space", "   " },
        { "too-long", new string('t', CacheEntryOptions.MaximumTagLength + 1) },
        { "control-character", "a\u0001b" },
        { "newline", "a\nb" },
        { "lone-surrogate", "a\uD800b" },
        { "wildcard", "*" },
    };

    [Fact]
    public async Task RemoveByTag_SetEntry_IsMissAndGetOrCreateRunsFactory()
    {
        using var h = Create(out _);
        await h.Cache.SetAsync("k", 1, Product, Ct);
        var runs = new Counter();

        await h.Cache.RemoveByTagAsync("product:42", Ct);
        var read = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        var created = await h.Cache.GetOrCreateAsync("k", Counting(runs, 2), Product, Ct);

        Assert.False(read.HasValue);
        Assert.Equal(2, created);
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task RemoveByTag_SetManyEntries_AreAllMisses()
    {
        using var h = Create(out _);
        await h.Cache.SetManyAsync<int>([new("a", 1), new("b", 2), new("c", 3)], Product, Ct);
        Assert.All(await h.Cache.GetManyAsync<int>(["a", "b", "c"], cancellationToken: Ct), r => Assert.True(r.HasValue));

        await h.Cache.RemoveByTagAsync("product:42", Ct);

        Assert.All(await h.Cache.GetManyAsync<int>(["a", "b", "c"], cancellationToken: Ct), r => Assert.False(r.HasValue));
        Assert.False((await h.Cache.TryGetAsync<int>("b", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RemoveByTag_GetOrCreateEntry_FactoryRunsAgain()
    {
        using var h = Create(out _);
        var runs = new Counter();
        await h.Cache.GetOrCreateAsync("k", Counting(runs, 1), Product, Ct);
        await AssertEventuallyStoredAsync(h, "k", 1);

        await h.Cache.RemoveByTagAsync("product:42", Ct);
        var created = await h.Cache.GetOrCreateAsync("k", Counting(runs, 2), Product, Ct);

        Assert.Equal(2, created);
        Assert.Equal(2, runs.Value);
    }

    [Fact]
    public async Task RemoveByTag_GetOrCreateManyEntries_BatchFactoryRunsAgainForEveryKey()
    {
        using var h = Create(out _);
        var asked = new List<IReadOnlyList<string>>();
        ValueTask<IReadOnlyDictionary<string, int>> Factory(IReadOnlyList<string> missing, CancellationToken ct)
        {
            asked.Add([.. missing]);
            return new ValueTask<IReadOnlyDictionary<string, int>>(missing.ToDictionary(k => k, k => k.Length));
        }

        await h.Cache.GetOrCreateManyAsync(["a", "bb"], Factory, Product, Ct);
        await AssertEventuallyStoredAsync(h, "bb", 2);

        await h.Cache.RemoveByTagAsync("product:42", Ct);
        var again = await h.Cache.GetOrCreateManyAsync(["a", "bb"], Factory, Product, Ct);

        Assert.Equal(2, asked.Count);
        Assert.Equal(["a", "bb"], asked[1].Order(StringComparer.Ordinal));
        Assert.Equal(1, again["a"]);
        Assert.Equal(2, again["bb"]);
    }

    [Fact]
    public async Task RemoveByTag_EntriesWithOtherTags_AreUntouched()
    {
        using var h = Create(out _);
        await h.Cache.SetAsync("product", 1, Product, Ct);
        await h.Cache.SetAsync("catalogue", 2, Catalogue, Ct);

        await h.Cache.RemoveByTagAsync("product:42", Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("product", cancellationToken: Ct)).HasValue);
        Assert.Equal(2, await h.Cache.GetAsync<int>("catalogue", cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTag_TagsDifferingOnlyInCase_AreDifferentTags()
    {
        // Tags compare ordinally, as keys do.
        using var h = Create(out _);
        await h.Cache.SetAsync("upper", 1, Tagged("Shop"), Ct);
        await h.Cache.SetAsync("lower", 2, Tagged("shop"), Ct);

        await h.Cache.RemoveByTagAsync("shop", Ct);

        Assert.Equal(1, await h.Cache.GetAsync<int>("upper", cancellationToken: Ct));
        Assert.False((await h.Cache.TryGetAsync<int>("lower", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RemoveByTag_UntaggedEntries_AreUntouched()
    {
        using var h = Create(out _);
        var runs = new Counter();
        await h.Cache.SetAsync("set", 1, cancellationToken: Ct);
        await h.Cache.SetManyAsync<int>([new("many", 2)], new CacheEntryOptions(), Ct);
        await h.Cache.GetOrCreateAsync("created", Counting(runs, 3), cancellationToken: Ct);
        await AssertEventuallyStoredAsync(h, "created", 3);

        await h.Cache.RemoveByTagAsync("product:42", Ct);

        Assert.Equal(1, await h.Cache.GetAsync<int>("set", cancellationToken: Ct));
        Assert.Equal(2, await h.Cache.GetAsync<int>("many", cancellationToken: Ct));
        Assert.Equal(3, await h.Cache.GetOrCreateAsync("created", Counting(runs, 4), cancellationToken: Ct));
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task RemoveByTag_EntryWithSeveralTags_IsMissWhenAnyOfThemIsRemoved()
    {
        using var h = Create(out _);
        await h.Cache.SetAsync("k", 1, Tagged("product:42", "catalogue", "shop:7"), Ct);

        await h.Cache.RemoveByTagAsync("shop:7", Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RemoveByTag_SeveralTagsInOneCall_InvalidatesEntriesOfEach()
    {
        using var h = Create(out _);
        await h.Cache.SetAsync("a", 1, Tagged("a"), Ct);
        await h.Cache.SetAsync("b", 2, Tagged("b"), Ct);
        await h.Cache.SetAsync("c", 3, Tagged("c"), Ct);

        await h.Cache.RemoveByTagAsync(["a", "b", "a"], Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("a", cancellationToken: Ct)).HasValue);
        Assert.False((await h.Cache.TryGetAsync<int>("b", cancellationToken: Ct)).HasValue);
        Assert.Equal(3, await h.Cache.GetAsync<int>("c", cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTag_EmptyList_RemovesNothing()
    {
        using var h = Create(out _);
        await h.Cache.SetAsync("k", 1, Product, Ct);

        await h.Cache.RemoveByTagAsync([], Ct);

        Assert.Equal(1, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTag_TagAddedByFactory_InvalidatesEntry()
    {
        using var h = Create(out _);
        var runs = new Counter();
        ValueTask<int> Factory(CacheFactoryContext context, CancellationToken ct)
        {
            context.Tags.Add("shop:7"); // learnt from the value: the call itself has no tags
            return new ValueTask<int>(runs.Increment());
        }

        await h.Cache.GetOrCreateAsync("k", Factory, cancellationToken: Ct);
        await AssertEventuallyStoredAsync(h, "k", 1);
        Assert.Equal(["shop:7"], EnvelopeBytes.Parse(await StoredBytesAsync(h, "k")).Tags);

        await h.Cache.RemoveByTagAsync("shop:7", Ct);
        var created = await h.Cache.GetOrCreateAsync("k", Factory, cancellationToken: Ct);

        Assert.Equal(2, created);
        Assert.Equal(2, runs.Value);
    }

    [Fact]
    public async Task GetOrCreate_FactoryAddsTag_EntryCarriesCallAndFactoryTags()
    {
        using var h = Create(out _);

        await h.Cache.GetOrCreateAsync(
            "k",
            (context, _) =>
            {
                context.Tags.Add("shop:7");
                context.Tags.Add("product:42"); // already the call's: counted once
                return new ValueTask<int>(1);
            },
            Product,
            Ct);
        await AssertEventuallyStoredAsync(h, "k", 1);

        Assert.Equal(["product:42", "shop:7"], EnvelopeBytes.Parse(await StoredBytesAsync(h, "k")).Tags);
    }

    [Fact]
    public async Task GetOrCreate_FactoryRemovesCallTag_EntryIsUntouchedByThatTag()
    {
        using var h = Create(out _);
        var runs = new Counter();
        await h.Cache.GetOrCreateAsync(
            "k",
            (context, _) =>
            {
                context.Tags.Remove("product:42");
                return new ValueTask<int>(runs.Increment());
            },
            Product,
            Ct);
        await AssertEventuallyStoredAsync(h, "k", 1);

        await h.Cache.RemoveByTagAsync("product:42", Ct);

        Assert.Equal(1, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTag_TagAddedByBatchFactory_InvalidatesEveryEntryOfTheBatch()
    {
        using var h = Create(out _);
        var runs = new Counter();
        ValueTask<IReadOnlyDictionary<string, int>> Factory(IReadOnlyList<string> missing, CacheFactoryContext context, CancellationToken ct)
        {
            runs.Increment();
            context.Tags.Add("batch");
            return new ValueTask<IReadOnlyDictionary<string, int>>(missing.ToDictionary(k => k, _ => runs.Value));
        }

        await h.Cache.GetOrCreateManyAsync(["a", "b"], Factory, cancellationToken: Ct);
        await AssertEventuallyStoredAsync(h, "a", 1);
        await AssertEventuallyStoredAsync(h, "b", 1);

        await h.Cache.RemoveByTagAsync("batch", Ct);
        var again = await h.Cache.GetOrCreateManyAsync(["a", "b"], Factory, cancellationToken: Ct);

        Assert.Equal(2, runs.Value);
        Assert.Equal(2, again["a"]);
        Assert.Equal(2, again["b"]);
    }

    [Fact]
    public async Task RemoveByTag_WriteOneMillisecondLater_IsVisible()
    {
        using var h = Create(out var time);
        var runs = new Counter();
        await h.Cache.SetAsync("set", 1, Product, Ct);
        await h.Cache.SetAsync("created", 1, Product, Ct);
        await h.Cache.RemoveByTagAsync("product:42", Ct);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await h.Cache.SetAsync("set", 2, Product, Ct);
        var created = await h.Cache.GetOrCreateAsync("created", Counting(runs, 2), Product, Ct);

        Assert.Equal(2, await h.Cache.GetAsync<int>("set", cancellationToken: Ct));
        Assert.Equal(2, created);
        await AssertEventuallyStoredAsync(h, "created", 2);
        Assert.Equal(2, await h.Cache.GetOrCreateAsync("created", Counting(runs, 3), Product, Ct));
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task RemoveByTag_WriteInTheSameMillisecond_IsMiss()
    {
        // Documented safe side (docs/tags.md): a write in the removal's millisecond counts as before it.
        using var h = Create(out _);
        await h.Cache.RemoveByTagAsync("product:42", Ct);

        await h.Cache.SetAsync("k", 1, Product, Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RemoveByTag_EntryWrittenOneMillisecondBefore_IsMiss()
    {
        using var h = Create(out var time);
        await h.Cache.SetAsync("k", 1, Product, Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));

        await h.Cache.RemoveByTagAsync("product:42", Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RemoveByTag_WhileFactoryRuns_CallerGetsValueAndNextReadRunsFactoryAgain()
    {
        // The factory read its data before the removal and stores after it: its entry is dated when it started, so the
        // removal covers it (docs/tags.md). Dated at the write, it would survive the removal it raced.
        using var h = Create(out var time);
        var gate = new FactoryGate<int>(1);
        var pending = h.Cache.GetOrCreateAsync("k", gate.Factory, Product, Ct).AsTask();
        await gate.Started.WaitAsync(Ct);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await h.Cache.RemoveByTagAsync("product:42", Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        gate.Release();

        Assert.Equal(1, await pending);
        Assert.Equal(2, EnvelopeBytes.Parse(await StoredBytesAsync(h, "k")).Version);
        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
        var runs = new Counter();
        Assert.Equal(2, await h.Cache.GetOrCreateAsync("k", Counting(runs, 2), Product, Ct));
        Assert.Equal(1, runs.Value);
    }

    [Fact]
    public async Task RemoveByTag_WhileBatchFactoryRuns_EveryKeyRunsAgain()
    {
        using var h = Create(out var time);
        var gate = new FactoryGate<int>(1);
        async ValueTask<IReadOnlyDictionary<string, int>> Batch(IReadOnlyList<string> missing, CancellationToken ct)
        {
            var value = await gate.Factory(ct);
            return missing.ToDictionary(k => k, _ => value);
        }

        var pending = h.Cache.GetOrCreateManyAsync(["a", "b"], Batch, Product, Ct).AsTask();
        await gate.Started.WaitAsync(Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await h.Cache.RemoveByTagAsync("product:42", Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        gate.Release();

        Assert.Equal(1, (await pending)["b"]);
        await StoredBytesAsync(h, "a");
        await StoredBytesAsync(h, "b");
        Assert.All(await h.Cache.GetManyAsync<int>(["a", "b"], cancellationToken: Ct), r => Assert.False(r.HasValue));
    }

    [Fact]
    public async Task Clear_WhileFactoryRuns_NextReadRunsFactoryAgain()
    {
        using var h = Create(out var time);
        var gate = new FactoryGate<int>(1);
        var pending = h.Cache.GetOrCreateAsync("k", gate.Factory, cancellationToken: Ct).AsTask();
        await gate.Started.WaitAsync(Ct);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await h.Cache.ClearAsync(Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        gate.Release();

        Assert.Equal(1, await pending);
        await StoredBytesAsync(h, "k");
        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RemoveByTag_BeforeFactoryStarts_ResultIsVisible()
    {
        using var h = Create(out var time);
        await h.Cache.RemoveByTagAsync("product:42", Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var gate = new FactoryGate<int>(1);

        var pending = h.Cache.GetOrCreateAsync("k", gate.Factory, Product, Ct).AsTask();
        await gate.Started.WaitAsync(Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        gate.Release();

        Assert.Equal(1, await pending);
        await AssertEventuallyStoredAsync(h, "k", 1);
    }

    [Fact]
    public async Task GetMany_MixOfRemovedOtherTagAndUntaggedEntries_ReturnsOnlySurvivors()
    {
        using var h = Create(out var time);
        await h.Cache.SetManyAsync<int>([new("p1", 1), new("p2", 2)], Product, Ct);
        await h.Cache.SetAsync("cat", 3, Catalogue, Ct);
        await h.Cache.SetAsync("plain", 4, cancellationToken: Ct);
        await h.Cache.SetAsync("both", 5, Tagged("catalogue", "product:42"), Ct);
        await h.Cache.RemoveByTagAsync("product:42", Ct);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await h.Cache.SetAsync("p2", 6, Product, Ct); // rewritten after the removal

        var results = await h.Cache.GetManyAsync<int>(["p1", "cat", "plain", "both", "p2", "absent", "p1"], cancellationToken: Ct);

        Assert.Equal(
            [(false, 0), (true, 3), (true, 4), (false, 0), (true, 6), (false, 0), (false, 0)],
            results.Select(r => (r.HasValue, r.HasValue ? r.Value : 0)));
    }

    [Fact]
    public async Task GetOrCreateMany_MixOfRemovedAndSurvivingEntries_FactoryGetsOnlyTheRemoved()
    {
        using var h = Create(out _);
        await h.Cache.SetAsync("p", 1, Product, Ct);
        await h.Cache.SetAsync("c", 2, Catalogue, Ct);
        await h.Cache.SetAsync("u", 3, cancellationToken: Ct);
        await h.Cache.RemoveByTagAsync("product:42", Ct);
        IReadOnlyList<string>? asked = null;

        var values = await h.Cache.GetOrCreateManyAsync(
            ["p", "c", "u"],
            (missing, _) =>
            {
                asked = [.. missing];
                return new ValueTask<IReadOnlyDictionary<string, int>>(missing.ToDictionary(k => k, _ => 10));
            },
            Product,
            Ct);

        Assert.Equal(["p"], asked);
        Assert.Equal(10, values["p"]);
        Assert.Equal(2, values["c"]);
        Assert.Equal(3, values["u"]);
    }

    [Fact]
    public async Task Clear_EveryEntry_IsMiss()
    {
        using var h = Create(out _);
        var runs = new Counter();
        await h.Cache.SetAsync("tagged", 1, Product, Ct);
        await h.Cache.SetAsync("plain", 2, cancellationToken: Ct);
        await h.Cache.SetManyAsync<int>([new("m1", 3), new("m2", 4)], new CacheEntryOptions(), Ct);
        await h.Cache.SetAsync<Sample?>("null", null, cancellationToken: Ct);
        await h.Cache.GetOrCreateAsync("created", Counting(runs, 5), cancellationToken: Ct);
        await AssertEventuallyStoredAsync(h, "created", 5);

        await h.Cache.ClearAsync(Ct);

        Assert.All(
            await h.Cache.GetManyAsync<int>(["tagged", "plain", "m1", "m2", "created"], cancellationToken: Ct),
            r => Assert.False(r.HasValue));
        Assert.False((await h.Cache.TryGetAsync<Sample?>("null", cancellationToken: Ct)).HasValue);
        Assert.Equal(6, await h.Cache.GetOrCreateAsync("created", Counting(runs, 6), cancellationToken: Ct));
        Assert.Equal(2, runs.Value);
    }

    [Fact]
    public async Task Clear_WritesOneMillisecondLater_AreVisible()
    {
        using var h = Create(out var time);
        await h.Cache.SetAsync("tagged", 1, Product, Ct);
        await h.Cache.SetAsync("plain", 1, cancellationToken: Ct);
        await h.Cache.ClearAsync(Ct);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await h.Cache.SetAsync("tagged", 2, Product, Ct);
        await h.Cache.SetManyAsync<int>([new("plain", 2)], new CacheEntryOptions(), Ct);

        Assert.Equal(2, await h.Cache.GetAsync<int>("tagged", cancellationToken: Ct));
        Assert.Equal(2, await h.Cache.GetAsync<int>("plain", cancellationToken: Ct));
    }

    [Fact]
    public async Task Clear_WriteInTheSameMillisecond_IsMiss()
    {
        using var h = Create(out _);
        await h.Cache.ClearAsync(Ct);

        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task Clear_CacheWithOtherPrefixOnSameStore_IsUntouched()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cleared = CreateHarness(timeProvider: time);
        using var other = CreateHarness(timeProvider: time);
        await cleared.Cache.SetAsync("k", 1, Product, Ct);
        await other.Cache.SetAsync("k", 2, Product, Ct);
        await other.Cache.SetAsync("plain", 3, cancellationToken: Ct);

        await cleared.Cache.ClearAsync(Ct);

        Assert.False((await cleared.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
        Assert.Equal(2, await other.Cache.GetAsync<int>("k", cancellationToken: Ct));
        Assert.Equal(3, await other.Cache.GetAsync<int>("plain", cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTag_CacheWithOtherPrefixOnSameStore_IsUntouched()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var removing = CreateHarness(timeProvider: time);
        using var other = CreateHarness(timeProvider: time);
        await removing.Cache.SetAsync("k", 1, Product, Ct);
        await other.Cache.SetAsync("k", 2, Product, Ct);

        await removing.Cache.RemoveByTagAsync("product:42", Ct);

        Assert.False((await removing.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
        Assert.Equal(2, await other.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTag_AnotherCacheWithSamePrefix_ReadsEntryAsMiss()
    {
        // Other processes on the same store and prefix learn of the removal from the marker in the store. The reader
        // is not the writer: a writer's memory tier without an invalidation source keeps its copy until LocalExpiration
        // (docs/tags.md, staleness bound; tested with real sources under Coherence/).
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var writer = CreateHarness(timeProvider: time);
        using var remover = CreateHarness(timeProvider: time, prefix: writer.Prefix);
        using var reader = CreateHarness(timeProvider: time, prefix: writer.Prefix);
        await writer.Cache.SetAsync("tagged", 1, Product, Ct);
        await writer.Cache.SetAsync("plain", 2, cancellationToken: Ct);

        await remover.Cache.RemoveByTagAsync("product:42", Ct);

        Assert.False((await reader.Cache.TryGetAsync<int>("tagged", cancellationToken: Ct)).HasValue);
        Assert.Equal(2, await reader.Cache.GetAsync<int>("plain", cancellationToken: Ct));
    }

    [Fact]
    public async Task Clear_AnotherCacheWithSamePrefix_ReadsEveryEntryAsMiss()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var writer = CreateHarness(timeProvider: time);
        using var clearer = CreateHarness(timeProvider: time, prefix: writer.Prefix);
        using var reader = CreateHarness(timeProvider: time, prefix: writer.Prefix);
        await writer.Cache.SetAsync("tagged", 1, Product, Ct);
        await writer.Cache.SetAsync("plain", 2, cancellationToken: Ct);

        await clearer.Cache.ClearAsync(Ct);

        Assert.False((await reader.Cache.TryGetAsync<int>("tagged", cancellationToken: Ct)).HasValue);
        Assert.False((await reader.Cache.TryGetAsync<int>("plain", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RemoveByTag_MarkerIsStoredUnderThePrefixBehindU001D()
    {
        // The marker is what other processes read: it must reach the store, under a key no entry key can have
        // (docs/wire-format.md: the logical key is KeyPrefix + U+001F + U+001D "tag:" + tag).
        using var h = Create(out var time);

        await h.Cache.RemoveByTagAsync("product:42", Ct);
        await h.Cache.ClearAsync(Ct);

        var marker = await Store.GetAsync(h.Prefix + "\u001F\u001Dtag:product:42", Ct);
        var clear = await Store.GetAsync(h.Prefix + "\u001F\u001Dclear", Ct);
        Assert.NotNull(marker);
        Assert.NotNull(clear);
        Assert.Equal(17, marker.Length);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64LittleEndian(marker.AsSpan(5)));
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64LittleEndian(clear.AsSpan(5)));
    }

    [Fact]
    public async Task Set_WithTags_WritesVersion2EnvelopeCarryingDistinctTags()
    {
        using var h = Create(out _);

        await h.Cache.SetAsync("k", 1, Tagged("b", "a", "b", "ü-tag"), Ct);

        var envelope = EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!);
        Assert.True(envelope.IsWellFormed);
        Assert.Equal(2, envelope.Version);
        Assert.Equal(["b", "a", "ü-tag"], envelope.Tags);
        Assert.Equal(1, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task Set_WithoutTags_StillWritesVersion1Envelope()
    {
        // Untagged entries stay readable by builds that know only version 1.
        using var h = Create(out _);

        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Tags = [] }, Ct);

        Assert.Equal(1, EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!).Version);
    }

    [Fact]
    public async Task Set_MaximumTagCountOfMaximumLength_IsStoredAndRemovable()
    {
        using var h = Create(out _);
        var tags = Enumerable.Range(0, CacheEntryOptions.MaximumTagCount)
            .Select(i => i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) + new string('t', CacheEntryOptions.MaximumTagLength - 3))
            .ToArray();

        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Tags = tags }, Ct);
        Assert.Equal(tags, EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!).Tags);
        Assert.Equal(1, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));

        await h.Cache.RemoveByTagAsync(tags[^1], Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task Set_DuplicateTagsBeyondMaximumCount_CountOnce()
    {
        using var h = Create(out _);
        var tags = Enumerable.Range(0, CacheEntryOptions.MaximumTagCount).Select(i => "t" + i).ToList();
        tags.AddRange(tags);

        await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Tags = tags }, Ct);

        Assert.Equal(CacheEntryOptions.MaximumTagCount, EnvelopeBytes.Parse((await h.ReadRawAsync("k", Ct))!).TagCount);
    }

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task Set_InvalidTag_ThrowsArgumentExceptionAndStoresNothing(string name, string? tag)
    {
        _ = name; // names the case in the test's display
        using var h = CreateHarness();

        await AssertInvalidAsync(tag, async () => await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Tags = ["ok", tag!] }, Ct));

        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task SetMany_InvalidTag_ThrowsArgumentExceptionAndStoresNothing(string name, string? tag)
    {
        _ = name;
        using var h = CreateHarness();

        await AssertInvalidAsync(tag, async () => await h.Cache.SetManyAsync<int>([new("a", 1), new("b", 2)], new CacheEntryOptions { Tags = [tag!] }, Ct));

        Assert.Null(await h.ReadRawAsync("a", Ct));
        Assert.Null(await h.ReadRawAsync("b", Ct));
    }

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task GetOrCreate_InvalidTag_ThrowsBeforeFactoryRunsAndStoresNothing(string name, string? tag)
    {
        _ = name;
        using var h = CreateHarness();
        var runs = new Counter();

        await AssertInvalidAsync(tag, async () => await h.Cache.GetOrCreateAsync("k", Counting(runs, 1), new CacheEntryOptions { Tags = [tag!] }, Ct));

        Assert.Equal(0, runs.Value);
        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task GetOrCreateMany_InvalidTag_ThrowsBeforeFactoryRunsAndStoresNothing(string name, string? tag)
    {
        _ = name;
        using var h = CreateHarness();
        var runs = new Counter();

        await AssertInvalidAsync(tag, async () => await h.Cache.GetOrCreateManyAsync(
            ["a"],
            (missing, _) =>
            {
                runs.Increment();
                return new ValueTask<IReadOnlyDictionary<string, int>>(missing.ToDictionary(k => k, _ => 1));
            },
            new CacheEntryOptions { Tags = [tag!] },
            Ct));

        Assert.Equal(0, runs.Value);
        Assert.Null(await h.ReadRawAsync("a", Ct));
    }

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task RemoveByTag_InvalidTag_ThrowsAndRemovesNothing(string name, string? tag)
    {
        _ = name;
        using var h = Create(out _);
        await h.Cache.SetAsync("k", 1, Product, Ct);

        await AssertInvalidAsync(tag, async () => await h.Cache.RemoveByTagAsync(["product:42", tag!], Ct));
        await AssertInvalidAsync(tag, async () => await h.Cache.RemoveByTagAsync(tag!, Ct));

        Assert.Equal(1, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task RemoveByTag_NullList_ThrowsArgumentNullException()
    {
        using var h = CreateHarness();

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await h.Cache.RemoveByTagAsync((IEnumerable<string>)null!, Ct));
    }

    [Fact]
    public async Task Set_MoreThanMaximumTagCount_ThrowsArgumentExceptionAndStoresNothing()
    {
        using var h = CreateHarness();
        var tags = Enumerable.Range(0, CacheEntryOptions.MaximumTagCount + 1).Select(i => "t" + i).ToArray();

        await Assert.ThrowsAsync<ArgumentException>(async () => await h.Cache.SetAsync("k", 1, new CacheEntryOptions { Tags = tags }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(async () => await h.Cache.GetOrCreateAsync("k", _ => new ValueTask<int>(1), new CacheEntryOptions { Tags = tags }, Ct));

        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task RemoveByTag_MoreThanMaximumTagCountInOneCall_IsAllowed()
    {
        // The per-entry bound is the envelope's; one removal may name any number of tags.
        using var h = Create(out _);
        await h.Cache.SetAsync("k", 1, Tagged("t99"), Ct);

        await h.Cache.RemoveByTagAsync(Enumerable.Range(0, 100).Select(i => "t" + i), Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreate_FactoryAddsInvalidTag_ThrowsFromFactoryAndStoresNothing()
    {
        using var h = CreateHarness();

        await Assert.ThrowsAsync<ArgumentException>(async () => await h.Cache.GetOrCreateAsync(
            "k",
            (context, _) =>
            {
                context.Tags.Add("*");
                return new ValueTask<int>(1);
            },
            cancellationToken: Ct));

        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task GetOrCreate_FactoryAddsTagPastMaximumCount_ThrowsInvalidOperationAndStoresNothing()
    {
        using var h = CreateHarness();
        var tags = Enumerable.Range(0, CacheEntryOptions.MaximumTagCount).Select(i => "t" + i).ToArray();

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await h.Cache.GetOrCreateAsync(
            "k",
            (context, _) =>
            {
                context.Tags.Add("t0"); // a duplicate is not a new tag
                context.Tags.Add("one-too-many");
                return new ValueTask<int>(1);
            },
            new CacheEntryOptions { Tags = tags },
            Ct));

        Assert.Null(await h.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task EnvelopeVersion1_TaggedWrites_ReturnedButNotStoredAndWarned()
    {
        // A rolling upgrade: older builds cannot read version 2, so a tagged entry is not written at all.
        using var h = CreateHarness(o => o.EnvelopeVersion = 1);
        var runs = new Counter();

        await h.Cache.SetAsync("set", 1, Product, Ct);
        var created = await h.Cache.GetOrCreateAsync("created", Counting(runs, 2), Product, Ct);
        await h.Cache.SetAsync("plain", 3, cancellationToken: Ct);

        Assert.Equal(2, created);
        Assert.Null(await h.ReadRawAsync("set", Ct));
        Assert.Null(await h.ReadRawAsync("created", Ct));
        Assert.Equal(1, EnvelopeBytes.Parse((await h.ReadRawAsync("plain", Ct))!).Version);
        Assert.Equal(2, h.LogRecords(3003).Count);
    }

    [Fact]
    public async Task EnvelopeVersion1_Clear_InvalidatesVersion1Entries()
    {
        // Version 1 entries carry their write time too, so a clear governs them during a rolling upgrade.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(o => o.EnvelopeVersion = 1, timeProvider: time);
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);

        await h.Cache.ClearAsync(Ct);

        Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
    }

    /// <summary>A harness on a fake clock that stands still until the test moves it.</summary>
    private CacheHarness Create(out FakeTimeProvider time)
    {
        time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        return CreateHarness(timeProvider: time);
    }

    private static CacheEntryOptions Tagged(params string[] tags) => new() { Tags = tags };

    /// <summary>A factory that reports when it started and returns <c>value</c> once the test releases it.</summary>
    private sealed class FactoryGate<T>(T value)
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Started => _started.Task;

        public void Release() => _release.TrySetResult();

        public async ValueTask<T> Factory(CancellationToken cancellationToken)
        {
            _started.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return value;
        }
    }

    private static async Task AssertInvalidAsync(string? tag, Func<Task> call)
    {
        if (tag is null)
        {
            await Assert.ThrowsAsync<ArgumentNullException>(call);
        }
        else
        {
            await Assert.ThrowsAsync<ArgumentException>(call);
        }
    }
}
