namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Key rules: invalid keys are refused by every method, prefixes and keys are joined so that no two (prefix, key)
/// pairs meet in one store, and keys over the maximum length are hashed behind a readable head.
/// </summary>
public abstract class KeyBehaviourTests : BehaviourTestBase
{
    public static TheoryData<string> InvalidKeys => new()
    {
        string.Empty,
        " ",
        "   ",
        "\t",
        "\r\n",
        "a\nb",
        "a\u0000b",
        "a\u001Fb",
        "a\u001Eb",
        "a\u007Fb",
        "a\u0085b",
        "\uD800",
        "a\uDC00b",
        "\uDC00\uD800",
        "ab\uD83D",
    };

    public static TheoryData<string> UnusualValidKeys => new()
    {
        "a",
        "a b",
        " leading and trailing ",
        "product:42/variant?x=1&y=2",
        "ключ",
        "鍵",
        "emoji-\uD83D\uDE00-pair",
        "\u00A0nbsp",
        "quote\"and'apostrophe",
        "{json:like}",
    };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public async Task EveryMethod_InvalidKey_ThrowsArgumentException(string key)
    {
        using var h = CreateHarness();
        var cache = h.Cache;
        var runs = new Counter();

        foreach (var call in Calls(cache, key, runs))
        {
            var ex = await Assert.ThrowsAsync<ArgumentException>(call.Invoke);
            Assert.Equal("key", ex.ParamName);
        }

        Assert.Equal(0, runs.Value);
    }

    [Fact]
    public async Task EveryMethod_NullKey_ThrowsArgumentNullException()
    {
        using var h = CreateHarness();
        var runs = new Counter();

        foreach (var call in Calls(h.Cache, null!, runs))
        {
            var ex = await Assert.ThrowsAsync<ArgumentNullException>(call.Invoke);
            Assert.Equal("key", ex.ParamName);
        }

        Assert.Equal(0, runs.Value);
    }

    [Theory]
    [MemberData(nameof(UnusualValidKeys))]
    public async Task UnusualValidKey_RoundTrips(string key)
    {
        using var h = CreateHarness();

        await h.Cache.SetAsync(key, new Sample(key, 1), cancellationToken: Ct);

        Assert.Equal(new Sample(key, 1), await h.Cache.GetAsync<Sample>(key, cancellationToken: Ct));
    }

    [Fact]
    public async Task Keys_DifferingOnlyInCaseOrWhitespace_AreDistinct()
    {
        using var h = CreateHarness();
        string[] keys = ["key", "Key", "KEY", "key ", " key"];
        for (var i = 0; i < keys.Length; i++)
        {
            await h.Cache.SetAsync(keys[i], i, cancellationToken: Ct);
        }

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(i, await h.Cache.GetAsync<int>(keys[i], cancellationToken: Ct));
        }
    }

    [Theory]
    [InlineData("a", "bc", "ab", "c")]
    [InlineData("", "abc", "a", "bc")]
    [InlineData("", "a:b", "a:", "b")]
    [InlineData("a:", "b", "a", ":b")]
    [InlineData("x", "y", "", "xy")]
    public async Task AmbiguousPrefixKeyPairs_OverOneStore_NeverShareEntries(string prefix1, string key1, string prefix2, string key2)
    {
        // A unique token in front keeps this test's key space apart on a shared server without changing the ambiguity:
        // prefix1 + key1 == prefix2 + key2 as plain strings.
        var unique = "u" + Guid.NewGuid().ToString("N")[..8];
        (prefix1, key1) = prefix1.Length == 0 ? (prefix1, unique + key1) : (unique + prefix1, key1);
        (prefix2, key2) = prefix2.Length == 0 ? (prefix2, unique + key2) : (unique + prefix2, key2);
        Assert.Equal(prefix1 + key1, prefix2 + key2);
        using var first = CreateHarness(prefix: prefix1);
        using var second = CreateHarness(prefix: prefix2);

        await first.Cache.SetAsync(key1, new Sample("first", 1), cancellationToken: Ct);
        var seenBySecond = await second.Cache.TryGetAsync<Sample>(key2, cancellationToken: Ct);
        await second.Cache.SetAsync(key2, new Sample("second", 2), cancellationToken: Ct);

        Assert.NotEqual(first.StoreKey(key1), second.StoreKey(key2));
        Assert.False(seenBySecond.HasValue);
        Assert.Equal(new Sample("first", 1), await first.Cache.GetAsync<Sample>(key1, cancellationToken: Ct));
        Assert.Equal(new Sample("second", 2), await second.Cache.GetAsync<Sample>(key2, cancellationToken: Ct));

        await first.Cache.RemoveAsync(key1, Ct);
        Assert.Equal(new Sample("second", 2), await second.Cache.GetAsync<Sample>(key2, cancellationToken: Ct));
    }

    [Fact]
    public async Task LongKey_StoredUnderHashedKeyWithReadableHead_AndRoundTrips()
    {
        using var h = CreateHarness();
        var key = "head-" + new string('x', 2000) + "-tail";

        await h.Cache.SetAsync(key, new Sample("long", 1), cancellationToken: Ct);
        var storeKey = h.StoreKey(key);

        Assert.True(storeKey.Length <= CacheSerialOptions.DefaultMaximumKeyLength, $"store key has {storeKey.Length} characters");
        Assert.StartsWith(h.Prefix, storeKey, StringComparison.Ordinal);
        Assert.Contains(key[..64], storeKey, StringComparison.Ordinal);
        Assert.DoesNotContain("-tail", storeKey, StringComparison.Ordinal);
        Assert.NotNull(await Store.GetAsync(storeKey, Ct));
        Assert.Equal(new Sample("long", 1), await h.Cache.GetAsync<Sample>(key, cancellationToken: Ct));
    }

    [Fact]
    public async Task LongKeys_WithSameHead_DoNotCollide()
    {
        using var h = CreateHarness();
        var head = new string('h', 1100);
        string[] keys = [head + "-one", head + "-two", head + "-one-more", head + "-one".ToUpperInvariant()];

        for (var i = 0; i < keys.Length; i++)
        {
            await h.Cache.SetAsync(keys[i], i, cancellationToken: Ct);
        }

        Assert.Equal(keys.Length, keys.Select(h.StoreKey).Distinct(StringComparer.Ordinal).Count());
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(i, await h.Cache.GetAsync<int>(keys[i], cancellationToken: Ct));
        }
    }

    [Fact]
    public async Task LongKey_CustomMaximumKeyLength_IsRespected()
    {
        using var h = CreateHarness(o => o.MaximumKeyLength = 300);
        var atLimit = new string('a', 300 - h.Prefix.Length - 1);
        var overLimit = atLimit + "b";

        await h.Cache.SetAsync(atLimit, 1, cancellationToken: Ct);
        await h.Cache.SetAsync(overLimit, 2, cancellationToken: Ct);

        Assert.True(h.StoreKey(atLimit).Length <= 300);
        Assert.EndsWith(atLimit, h.StoreKey(atLimit), StringComparison.Ordinal);
        Assert.True(h.StoreKey(overLimit).Length <= 300);
        Assert.DoesNotContain(overLimit, h.StoreKey(overLimit), StringComparison.Ordinal);
        Assert.Equal(1, await h.Cache.GetAsync<int>(atLimit, cancellationToken: Ct));
        Assert.Equal(2, await h.Cache.GetAsync<int>(overLimit, cancellationToken: Ct));
    }

    [Fact]
    public async Task LongKey_HeadEndingInSurrogatePair_DoesNotSplitThePair()
    {
        using var h = CreateHarness();
        var key = new string('a', 63) + "\uD83D\uDE00" + new string('z', 2000);

        await h.Cache.SetAsync(key, 1, cancellationToken: Ct);
        var storeKey = h.StoreKey(key);

        for (var i = 0; i < storeKey.Length; i++)
        {
            if (char.IsHighSurrogate(storeKey[i]))
            {
                Assert.True(i + 1 < storeKey.Length && char.IsLowSurrogate(storeKey[i + 1]), $"lone high surrogate at {i}");
                i++;
            }
            else
            {
                Assert.False(char.IsLowSurrogate(storeKey[i]), $"lone low surrogate at {i}");
            }
        }

        Assert.Equal(1, await h.Cache.GetAsync<int>(key, cancellationToken: Ct));
    }

    [Fact]
    public async Task LongKey_EntryCopiedFromOtherLongKey_IsMiss()
    {
        using var h = CreateHarness();
        var head = new string('h', 1100);
        await h.Cache.SetAsync(head + "-one", 1, cancellationToken: Ct);

        await h.WriteRawAsync(head + "-two", (await h.ReadRawAsync(head + "-one", Ct))!, Ct);

        Assert.False((await h.Cache.TryGetAsync<int>(head + "-two", cancellationToken: Ct)).HasValue);
    }

    private static IEnumerable<Func<Task>> Calls(ITypedCache cache, string key, Counter runs)
    {
        var ct = Ct;
        yield return async () => await cache.TryGetAsync<int>(key, cancellationToken: ct);
        yield return async () => await cache.GetAsync<int>(key, cancellationToken: ct);
        yield return async () => await cache.SetAsync(key, 1, cancellationToken: ct);
        yield return async () => await cache.SetAsync(key, 1, TimeSpan.FromMinutes(1), ct);
        yield return async () => await cache.RemoveAsync(key, ct);
        yield return async () => await cache.RefreshAsync(key, ct);
        yield return async () => await cache.GetOrCreateAsync(key, 0, (_, _, _) =>
        {
            runs.Increment();
            return new ValueTask<int>(1);
        }, cancellationToken: ct);
        yield return async () => await cache.GetOrCreateAsync(key, _ =>
        {
            runs.Increment();
            return new ValueTask<int>(1);
        }, cancellationToken: ct);
        yield return async () => await cache.GetOrCreateAsync(key, (_, _) =>
        {
            runs.Increment();
            return new ValueTask<int>(1);
        }, cancellationToken: ct);
    }
}
