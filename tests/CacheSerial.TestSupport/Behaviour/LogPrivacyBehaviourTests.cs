using System.Globalization;
using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>Keys and values may be personal data: they never appear in warning or error logs (only at Debug).</summary>
public abstract class LogPrivacyBehaviourTests : BehaviourTestBase
{
    private const string SecretKey = "user:alice@example.com:session";
    private const string SecretValue = "SECRET-VALUE-7c1e";

    [Fact]
    public async Task WarningLogs_OfEveryFailurePath_NeverContainKeyOrValue()
    {
        var chaos = ChaosDistributedCache.Wrap(Store);
        using var h = CreateHarness(chaos, o => o.MaximumPayloadBytes = 200);

        // 2001 rejected entry (and its Debug twin 2002, which may name the key).
        await h.WriteRawAsync(SecretKey, "not an envelope"u8.ToArray(), Ct);
        await h.Cache.TryGetAsync<string>(SecretKey, cancellationToken: Ct);

        // 3001 payload too large.
        await h.Cache.SetAsync(SecretKey, SecretValue + new string('x', 500), cancellationToken: Ct);

        // 1001-1004 store failures.
        chaos.AllFaults = StoreFault.Faulted;
        await h.Cache.TryGetAsync<string>(SecretKey, cancellationToken: Ct);
        await h.Cache.SetAsync(SecretKey, SecretValue, cancellationToken: Ct);
        await h.Cache.RemoveAsync(SecretKey, Ct);
        await h.Cache.RefreshAsync(SecretKey, Ct);

        var records = h.LogRecords();
        var warnings = records.Where(r => r.Level >= LogLevel.Warning).ToList();
        Assert.Equal([1001, 1002, 1003, 1004, 2001, 3001], warnings.Select(r => r.Id.Id).Distinct().Order());
        foreach (var record in warnings)
        {
            Assert.DoesNotContain(SecretKey, Describe(record), StringComparison.Ordinal);
            Assert.DoesNotContain(SecretValue, Describe(record), StringComparison.Ordinal);
            Assert.DoesNotContain(h.StoreKey(SecretKey), Describe(record), StringComparison.Ordinal);
        }

        // The check above can see a key: the Debug record of the rejection names it.
        Assert.Contains(records, r => r.Id.Id == 2002 && r.Level == LogLevel.Debug && Describe(r).Contains(SecretKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WarningLogs_OfCodecError_NeverContainKeyOrValue()
    {
        using var h = CreateHarness();
        // Kept out of memory: the read below must reach the store (with a memory tier it would answer from memory).
        await h.Cache.SetAsync(SecretKey, 1, new CacheEntryOptions { Flags = CacheEntryFlags.SkipLocalWrite }, Ct);
        var envelope = Envelopes.EnvelopeBytes.Parse((await h.ReadRawAsync(SecretKey, Ct))!);

        // A well-formed envelope for an int whose payload is a string holding the secret: the codec itself fails.
        await h.WriteRawAsync(SecretKey, envelope.WithPayload(System.Text.Encoding.UTF8.GetBytes($"\"{SecretValue}\"")), Ct);
        await h.Cache.TryGetAsync<int>(SecretKey, cancellationToken: Ct);

        var warning = Assert.Single(h.LogRecords(2001));
        Assert.Contains(nameof(CacheEntryRejectReason.CodecError), warning.Message, StringComparison.Ordinal);
        Assert.NotNull(warning.Exception);
        Assert.DoesNotContain(SecretKey, Describe(warning), StringComparison.Ordinal);
        Assert.DoesNotContain(SecretValue, Describe(warning), StringComparison.Ordinal);
    }

    private static string Describe(FakeLogRecord record)
    {
        var parts = new List<string> { record.Message };
        if (record.StructuredState is { } state)
        {
            parts.AddRange(state.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")));
        }

        for (var ex = record.Exception; ex is not null; ex = ex.InnerException)
        {
            parts.Add(ex.Message);
        }

        return string.Join('\n', parts);
    }
}
