using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Samples.ConsoleApp;

/// <summary>The sample's walkthrough; each step prints what it did and what it observed.</summary>
internal sealed class Demo(IServiceProvider services, string ns)
{
    // The first bytes of every CacheSerial entry (docs/wire-format.md); used here only to show an entry was overwritten.
    private static readonly byte[] EnvelopeMagic = [0x89, (byte)'C', (byte)'S', (byte)'E'];

    private readonly ITypedCache _cache = services.GetRequiredService<ITypedCache>();
    private readonly IDistributedCache _store = services.GetRequiredService<IDistributedCache>();
    private readonly ProductSource _source = new();

    public async Task RunAsync()
    {
        await GetOrCreateAsync();
        await TryGetAsync();
        await ExpirationAsync();
        await SlidingExpirationAsync();
        await SizePerCodecAsync();
        await RejectedEntriesAsync();
        await TagsAndClearAsync();
        Console.WriteLine();
        Console.WriteLine("Done.");
    }

    /// <summary>The call services make: read, and on a miss run the factory once and store its result.</summary>
    private ValueTask<Product> GetProductAsync(string key, int id, CacheEntryOptions? options = null) =>
        _cache.GetOrCreateAsync(key, (_source, id), static (s, ctx, ct) => s._source.LoadAsync(s.id, ct), options);

    private async Task GetOrCreateAsync()
    {
        Heading("1. GetOrCreateAsync: a miss runs the factory, a hit does not");
        var key = ns + "product:1";
        for (var call = 1; call <= 3; call++)
        {
            var before = _source.Loads;
            var clock = Stopwatch.StartNew();
            var product = await GetProductAsync(key, 1);
            var ran = _source.Loads > before;
            Line($"call {call}: got '{product.Name}' in {clock.ElapsedMilliseconds,3} ms, factory runs so far: {_source.Loads}  " +
                 (ran ? "(miss: loaded from the source and stored)" : "(hit: decoded from the store)"));
        }
    }

    private async Task TryGetAsync()
    {
        Heading("2. TryGetAsync tells a miss from a cached null");
        var missing = await _cache.TryGetAsync<Product?>(ns + "product:404");
        Line($"TryGetAsync on a key never written:       HasValue = {missing.HasValue,-5}  -> a miss");

        await _cache.SetAsync<Product?>(ns + "product:404", null); // "we looked, there is no such product"
        var cachedNull = await _cache.TryGetAsync<Product?>(ns + "product:404");
        Line($"TryGetAsync after SetAsync(key, null):    HasValue = {cachedNull.HasValue,-5}  Value = {(cachedNull.Value is null ? "null" : cachedNull.Value.Name)}  -> a cached null");
    }

    private async Task ExpirationAsync()
    {
        Heading("3. Expiration: the entry is regenerated once its time to live has passed");
        var key = ns + "product:2";
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(1) };
        var before = _source.Loads;
        await GetProductAsync(key, 2, options);
        Line($"GetOrCreateAsync with Expiration = 1 s:    factory runs for this key: {_source.Loads - before}");
        await GetProductAsync(key, 2, options);
        Line($"again right away:                          factory runs for this key: {_source.Loads - before}  (hit)");
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        await GetProductAsync(key, 2, options);
        Line($"again after 1.1 s:                         factory runs for this key: {_source.Loads - before}  (expired: regenerated)");

        // Sub-second lifetimes: Redis only keeps whole seconds (rounded up here), the envelope keeps the exact expiry.
        var shortKey = ns + "product:3";
        var shortOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(400) };
        before = _source.Loads;
        await GetProductAsync(shortKey, 3, shortOptions);
        Line($"GetOrCreateAsync with Expiration = 400 ms: factory runs for this key: {_source.Loads - before}");
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        var stillStored = await _store.GetAsync(shortKey) is not null;
        await GetProductAsync(shortKey, 3, shortOptions);
        Line($"again after 600 ms:                        factory runs for this key: {_source.Loads - before}  (expired: regenerated)");
        Line(stillStored
            ? "  (Redis still held the bytes, its TTL being rounded up to 1 s; the envelope's exact expiry made it a miss)"
            : "  (the envelope keeps the exact expiry; Redis' TTL is rounded up to whole seconds)");
    }

    private async Task SlidingExpirationAsync()
    {
        Heading("4. Sliding expiration: reads keep an entry alive, idleness ends it");
        var key = ns + "product:4";
        await _cache.SetAsync(key, ProductSource.Make(4), new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(1) });
        Line("SetAsync with SlidingExpiration = 1 s (kept by Redis: whole seconds)");
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var read = await _cache.TryGetAsync<Product>(key);
            Line($"read at {clock.Elapsed.TotalSeconds:0.0} s: {(read.HasValue ? "hit" : "miss")}");
        }

        await Task.Delay(TimeSpan.FromMilliseconds(1300));
        var idle = await _cache.TryGetAsync<Product>(key);
        Line($"read at {clock.Elapsed.TotalSeconds:0.0} s, after 1.3 s without reads: {(idle.HasValue ? "hit" : "miss (expired)")}");
    }

    private async Task SizePerCodecAsync()
    {
        Heading("5. Stored size per codec (one page of 20 products, envelope included)");
        var page = ProductSource.MakePage(1, 20);
        var caches = new (string Label, string Name, ITypedCache Cache)[]
        {
            ("System.Text.Json (default)", "json", _cache),
            ("MessagePack", "msgpack", services.GetRequiredKeyedService<ITypedCache>("msgpack")),
            ("MessagePack + LZ4", "msgpack-lz4", services.GetRequiredKeyedService<ITypedCache>("msgpack-lz4")),
            ("System.Text.Json + zstd", "json-zstd", services.GetRequiredKeyedService<ITypedCache>("json-zstd")),
            ("System.Text.Json + GZip", "json-gzip", services.GetRequiredKeyedService<ITypedCache>("json-gzip")),
        };

        int? jsonBytes = null;
        foreach (var (label, name, cache) in caches)
        {
            var key = ns + "page:1:" + name;
            await cache.SetAsync(key, page);

            // No KeyPrefix is set, so the stored key is the key itself: read the raw entry through IDistributedCache.
            var stored = await _store.GetAsync(key) ?? throw new InvalidOperationException($"'{key}' was not stored.");
            var back = await cache.TryGetAsync<CataloguePage>(key);
            jsonBytes ??= stored.Length;
            Line($"{label,-28} {stored.Length,6:N0} bytes  {100.0 * stored.Length / jsonBytes.Value,5:0}% of JSON  " +
                 $"(reads back {back.Value?.Items.Count ?? 0} products)");
        }
    }

    private async Task RejectedEntriesAsync()
    {
        Heading("6. A foreign or corrupted entry is a logged miss, then regenerated and overwritten");
        var key = ns + "product:5";

        // Another application wrote plain JSON under our key.
        await _store.SetAsync(key, Encoding.UTF8.GetBytes("""{"id":5,"name":"written by someone else"}"""), Minute());
        Line("IDistributedCache.SetAsync wrote plain JSON under the key; now GetOrCreateAsync:");
        var before = _source.Loads;
        var product = await GetProductAsync(key, 5);
        Line($"got '{product.Name}', factory runs for this key: {_source.Loads - before}; the entry is now " +
             (await IsEnvelopeAsync(key) ? "a CacheSerial envelope again" : "still foreign"));

        // One flipped bit in a valid entry.
        var bytes = await _store.GetAsync(key) ?? throw new InvalidOperationException($"'{key}' was not stored.");
        bytes[bytes.Length / 2] ^= 0x01;
        await _store.SetAsync(key, bytes, Minute());
        Line("flipped one bit in the middle of the stored entry; now GetOrCreateAsync:");
        before = _source.Loads;
        product = await GetProductAsync(key, 5);
        Line($"got '{product.Name}', factory runs for this key: {_source.Loads - before}; the entry is " +
             (await _cache.TryGetAsync<Product>(key) is { HasValue: true } ? "valid again (a hit)" : "still rejected"));
    }

    private async Task TagsAndClearAsync()
    {
        Heading("7. Tags and ClearAsync: one call drops a group of entries (in every process), or everything one cache wrote");
        var cache = services.GetRequiredKeyedService<ITypedCache>("tagged");
        string[] keys = ["product:10", "product:11", "product:12"];
        await cache.SetAsync(keys[0], ProductSource.Make(10), new CacheEntryOptions { Tags = ["catalogue", "category:shoes"] });
        await cache.SetAsync(keys[1], ProductSource.Make(11), new CacheEntryOptions { Tags = ["catalogue", "category:hats"] });
        await cache.GetOrCreateAsync(keys[2], _source, static async (source, ctx, ct) =>
        {
            var product = await source.LoadAsync(12, ct);
            ctx.Tags.Add("category:shoes"); // a tag the factory learns from the value
            return product;
        }, new CacheEntryOptions { Tags = ["catalogue"] });
        Line("product:10 tagged [catalogue, category:shoes], product:11 [catalogue, category:hats],");
        Line("product:12 [catalogue] by get-or-create, plus [category:shoes] added by its factory");
        Line($"{"after the writes",-36} -> {await HitsAsync(cache, keys)}");

        await cache.RemoveByTagAsync("category:shoes");
        Line($"{"RemoveByTagAsync(\"category:shoes\")",-36} -> {await HitsAsync(cache, keys)}");

        await cache.RemoveByTagAsync("catalogue");
        Line($"{"RemoveByTagAsync(\"catalogue\")",-36} -> {await HitsAsync(cache, keys)}");

        // A removal covers what was written in its millisecond or before; this write is later.
        await Task.Delay(5);
        await cache.SetAsync(keys[1], ProductSource.Make(11), new CacheEntryOptions { Tags = ["catalogue"] });
        Line($"{"SetAsync(product:11) again",-36} -> {await HitsAsync(cache, keys)}");

        await cache.ClearAsync();
        var other = await _cache.TryGetAsync<Product>(ns + "product:1");
        Line($"{"ClearAsync()",-36} -> {await HitsAsync(cache, keys)}; the default cache (another prefix) still " +
             (other.HasValue ? "hits product:1" : "misses product:1"));
    }

    /// <summary>Which of <paramref name="keys"/> hit, read with one bulk call.</summary>
    private static async Task<string> HitsAsync(ITypedCache cache, string[] keys)
    {
        var results = await cache.GetManyAsync<Product>(keys);
        return string.Join(", ", keys.Select((key, i) => $"{key[(key.IndexOf(':') + 1)..]} {(results[i].HasValue ? "hit" : "miss")}"));
    }

    private async Task<bool> IsEnvelopeAsync(string key) =>
        await _store.GetAsync(key) is { } stored && stored.AsSpan().StartsWith(EnvelopeMagic);

    private static DistributedCacheEntryOptions Minute() => new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) };

    private static void Heading(string text)
    {
        Console.WriteLine();
        Console.WriteLine(text);
    }

    private static void Line(string text) => Console.WriteLine("  " + text);
}
