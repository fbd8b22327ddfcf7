using System.Text.Json;
using CacheSerial.IntegrationTests.Infrastructure;

namespace CacheSerial.IntegrationTests.Interop;

public sealed record InteropAddress(string City, string Postcode);

public sealed record InteropOrder(int Id, string Customer, double Total, bool Paid, string? Note, DateTimeOffset PlacedAt, InteropAddress ShipTo);

/// <summary>
/// The Python and Node reference readers (samples/interop) read what CacheSerial's JSON codec wrote through RedisCache,
/// and refuse entries that are corrupt, written for another key or type, or logically expired.
/// </summary>
public sealed class EnvelopeReaderTests(RedisFixture redis) : RedisTestBase(redis)
{
    private static readonly InteropOrder Order = new(
        42,
        "Zoë \"Q\" 鍵 \uD83D\uDE00",
        12.5,
        true,
        null,
        new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        new InteropAddress("Zürich", "8001"));

    public static TheoryData<string> Readers => new() { EnvelopeReaderProcess.Python, EnvelopeReaderProcess.Node };

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_JsonEntry_PrintsValue(string reader)
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("order:42", Order, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) }, Ct);

        var run = await RunAsync(reader, h, "order:42", "--type", typeof(InteropOrder).FullName!);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Order, JsonSerializer.Deserialize<InteropOrder>(run.StandardOutput, SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_Metadata_PrintsEnvelopeFieldsAndValue(string reader)
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("order:42", Order, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) }, Ct);

        var run = await RunAsync(reader, h, "order:42", "--metadata");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.StandardOutput);
        var root = json.RootElement;
        Assert.Equal(h.Prefix + "\u001F" + "order:42", root.GetProperty("logicalKey").GetString());
        Assert.Equal(RawKey(h, "order:42").ToString(), root.GetProperty("redisKey").GetString());
        Assert.Equal("stj", root.GetProperty("codec").GetString());
        Assert.False(root.GetProperty("isNull").GetBoolean());
        Assert.True(root.GetProperty("expiresAt").GetDateTimeOffset() > root.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(Order, root.GetProperty("value").Deserialize<InteropOrder>(SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_CachedNull_PrintsNull(string reader)
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync<InteropOrder?>("none", null, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) }, Ct);

        var run = await RunAsync(reader, h, "none");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("null", run.StandardOutput.Trim());
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_LongKey_FindsHashedStoreKey(string reader)
    {
        using var h = CreateHarness();
        var key = "order:" + new string('x', CacheSerialOptions.DefaultMaximumKeyLength);
        await h.Cache.SetAsync(key, Order, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) }, Ct);
        Assert.NotEqual(h.Prefix + "\u001F" + key, h.StoreKey(key)); // the store key really is the hashed form

        var run = await RunAsync(reader, h, key);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Order, JsonSerializer.Deserialize<InteropOrder>(run.StandardOutput, SystemTextJsonCodec.Default.Options));
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_FlippedByte_ExitsNonZeroOnChecksum(string reader)
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("order:42", Order, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) }, Ct);
        var bytes = (await h.ReadRawAsync("order:42", Ct))!;
        bytes[bytes.Length / 2] ^= 0x01;
        await h.WriteRawAsync("order:42", bytes, Ct);

        var run = await RunAsync(reader, h, "order:42");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("checksum mismatch", run.StandardError, StringComparison.Ordinal);
        Assert.Empty(run.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_EntryCopiedUnderAnotherKey_ExitsNonZeroOnKeyCheck(string reader)
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("order:42", Order, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) }, Ct);
        await h.WriteRawAsync("order:43", (await h.ReadRawAsync("order:42", Ct))!, Ct);

        var run = await RunAsync(reader, h, "order:43");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("key check mismatch", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_OtherType_ExitsNonZeroOnFingerprint(string reader)
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("order:42", Order, new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5) }, Ct);

        var run = await RunAsync(reader, h, "order:42", "--type", typeof(InteropAddress).FullName!);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("type mismatch", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_LogicallyExpiredEntry_ExitsNonZero(string reader)
    {
        // The store still has the bytes (rewritten for minutes); the envelope's own expiry has passed.
        using var h = CreateHarness();
        await h.Cache.SetAsync("order:42", Order, new CacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(200) }, Ct);
        var bytes = (await h.ReadRawAsync("order:42", Ct))!;
        await Task.Delay(TimeSpan.FromMilliseconds(600), Ct);
        await h.WriteRawAsync("order:42", bytes, Ct);

        var run = await RunAsync(reader, h, "order:42");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("expired at", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task Reader_MissingEntry_ExitsWithNotFound(string reader)
    {
        using var h = CreateHarness();

        var run = await RunAsync(reader, h, "never-written");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("no entry", run.StandardError, StringComparison.Ordinal);
    }

    private Task<ReaderRun> RunAsync(string reader, TestSupport.CacheHarness h, string key, params string[] options) =>
        EnvelopeReaderProcess.RunAsync(
            reader,
            Redis.Endpoint,
            key,
            ["--prefix", h.Prefix, "--instance-name", RedisFixture.DefaultInstanceName, .. options],
            Ct);
}
