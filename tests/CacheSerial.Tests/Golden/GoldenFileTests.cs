using System.Runtime.CompilerServices;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Envelopes;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Golden;

/// <summary>
/// Envelope v1 golden files: entries written by an earlier build must keep decoding, and today's encoder must still
/// produce them byte for byte (so any drift of the wire format is a deliberate, visible change).
/// </summary>
/// <remarks>
/// Every input is fixed: the clock (a <see cref="FakeTimeProvider"/> at 2026-01-01T00:00:00Z), the key prefix, the key,
/// the value and its 10-year lifetime. To regenerate the files after an intended format change, run
/// <code>CACHESERIAL_REGENERATE_GOLDEN=1 dotnet test --project tests/CacheSerial.Tests -- --filter-class CacheSerial.Tests.Golden.GoldenFileTests</code>
/// which rewrites tests/CacheSerial.Tests/Golden/*.bin in the source tree; review and commit them with the change
/// (and a new envelope version, if old entries can no longer be read).
/// </remarks>
public sealed class GoldenFileTests
{
    public const string RegenerateVariable = "CACHESERIAL_REGENERATE_GOLDEN";

    internal const string Prefix = "golden";
    internal const string Key = "product:42";
    internal static readonly DateTimeOffset FixedNow = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal static readonly TimeSpan Lifetime = TimeSpan.FromDays(3650);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Files => new() { "stj-v1.bin", "msgpack-v1.bin", "stj-null-v1.bin" };

    public static GoldenProduct Value() => new(
        42,
        "Golden Widget ✓",
        1234.50m,
        new DateTimeOffset(2025, 11, 5, 14, 30, 15, 250, TimeSpan.FromHours(1)),
        new Guid("3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
        GoldenColour.Green,
        ["new", "featured"],
        new Dictionary<string, int> { ["london"] = 3, ["paris"] = 0 },
        4.75,
        true,
        null);

    [Theory]
    [MemberData(nameof(Files))]
    public async Task GoldenFile_DecodesToExactValue(string file)
    {
        using var h = CreateHarness(file, new FakeTimeProvider(FixedNow));
        await h.WriteRawAsync(Key, await File.ReadAllBytesAsync(OutputPath(file), Ct), Ct);

        var result = await h.Cache.TryGetAsync<GoldenProduct?>(Key, cancellationToken: Ct);

        Assert.True(result.HasValue, $"{file} no longer decodes: {string.Join("; ", h.LogRecords().Select(r => r.Message))}");
        AssertExact(ExpectedValue(file), result.Value);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task EncodingToday_ProducesGoldenBytes(string file)
    {
        using var h = CreateHarness(file, new FakeTimeProvider(FixedNow));

        await h.Cache.SetAsync(Key, ExpectedValue(file), new CacheEntryOptions { Expiration = Lifetime }, Ct);
        var actual = await h.ReadRawAsync(Key, Ct);
        Assert.NotNull(actual);

        if (Environment.GetEnvironmentVariable(RegenerateVariable) == "1")
        {
            await File.WriteAllBytesAsync(Path.Combine(SourceDirectory(), file), actual, Ct);
            Directory.CreateDirectory(Path.GetDirectoryName(OutputPath(file))!);
            await File.WriteAllBytesAsync(OutputPath(file), actual, Ct);
        }

        Assert.Equal(await File.ReadAllBytesAsync(OutputPath(file), Ct), actual);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task GoldenFile_HeaderHasTheDocumentedFields(string file)
    {
        var envelope = EnvelopeBytes.Parse(await File.ReadAllBytesAsync(OutputPath(file), Ct));

        Assert.True(envelope.IsWellFormed);
        Assert.Equal(1, envelope.Version);
        Assert.Equal(file.StartsWith("msgpack", StringComparison.Ordinal) ? "msgpack" : "stj", envelope.CodecName);
        Assert.Equal(file.Contains("null", StringComparison.Ordinal) ? 1 : 0, envelope.Flags);
        Assert.Equal(0, envelope.SchemaVersion);
        Assert.Equal(FixedNow.ToUnixTimeMilliseconds(), envelope.CreatedAtMs);
        Assert.Equal((FixedNow + Lifetime).ToUnixTimeMilliseconds(), envelope.ExpiresAtMs);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task GoldenFile_ReadAfterItsLogicalExpiry_IsMiss(string file)
    {
        var time = new FakeTimeProvider(FixedNow);
        using var h = CreateHarness(file, time);
        await h.WriteRawAsync(Key, await File.ReadAllBytesAsync(OutputPath(file), Ct), Ct);

        time.Advance(Lifetime);

        Assert.False((await h.Cache.TryGetAsync<GoldenProduct?>(Key, cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GoldenFile_ReadUnderAnotherKey_IsMiss()
    {
        using var h = CreateHarness("stj-v1.bin", new FakeTimeProvider(FixedNow));
        await h.WriteRawAsync("product:43", await File.ReadAllBytesAsync(OutputPath("stj-v1.bin"), Ct), Ct);

        Assert.False((await h.Cache.TryGetAsync<GoldenProduct?>("product:43", cancellationToken: Ct)).HasValue);
    }

    private static GoldenProduct? ExpectedValue(string file) => file.Contains("null", StringComparison.Ordinal) ? null : Value();

    private static CacheHarness CreateHarness(string file, TimeProvider time) =>
        new(
            InMemoryStores.Create(),
            build: b =>
            {
                if (file.StartsWith("msgpack", StringComparison.Ordinal))
                {
                    b.UseMessagePack();
                }
            },
            timeProvider: time,
            prefix: Prefix);

    private static void AssertExact(GoldenProduct? expected, GoldenProduct? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }

        Assert.NotNull(actual);
        Assert.Equivalent(expected, actual, strict: true);
        Assert.Equal(expected.ReleasedAt.Offset, actual.ReleasedAt.Offset);
        Assert.Equal(expected.Price.Scale, actual.Price.Scale);
    }

    internal static string OutputPath(string file) => Path.Combine(AppContext.BaseDirectory, "Golden", file);

    internal static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
