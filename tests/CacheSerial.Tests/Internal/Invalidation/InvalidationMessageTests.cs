using CacheSerial.Internal;

namespace CacheSerial.Tests.Internal.Invalidation;

/// <summary>The backplane message format: round trips, and anything else is refused without throwing.</summary>
public sealed class InvalidationMessageTests
{
    [Fact]
    public void Encode_Keys_RoundTrips()
    {
        var sender = Guid.NewGuid();
        string[] keys = ["a", "ключ", "k:" + new string('x', 300)];

        var bytes = InvalidationMessage.Encode(InvalidationKind.Keys, sender, 42, 1_700_000_000_000, keys, keys.Sum(InvalidationMessage.SizeOf));

        Assert.True(InvalidationMessage.TryDecode(bytes, out var message));
        Assert.Equal(InvalidationKind.Keys, message.Kind);
        Assert.Equal(sender, message.Sender);
        Assert.Equal(42, message.Sequence);
        Assert.Equal(1_700_000_000_000, message.SentAtMs);
        Assert.Equal(keys, message.Keys);
    }

    [Theory]
    [InlineData((byte)InvalidationKind.Ping)]
    [InlineData((byte)InvalidationKind.All)]
    public void Encode_WithoutKeys_RoundTrips(byte kindByte)
    {
        var kind = (InvalidationKind)kindByte;
        var bytes = InvalidationMessage.Encode(kind, Guid.NewGuid(), 7, 1, null, 0);

        Assert.Equal(InvalidationMessage.HeaderLength, bytes.Length);
        Assert.True(InvalidationMessage.TryDecode(bytes, out var message));
        Assert.Equal(kind, message.Kind);
        Assert.Empty(message.Keys);
    }

    [Fact]
    public void TryDecode_EveryTruncationOrExtension_Refused()
    {
        var bytes = InvalidationMessage.Encode(InvalidationKind.Keys, Guid.NewGuid(), 1, 1, ["a", "bc"], InvalidationMessage.SizeOf("a") + InvalidationMessage.SizeOf("bc"));

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(InvalidationMessage.TryDecode(bytes.AsSpan(0, length), out _), $"accepted {length} of {bytes.Length} bytes");
        }

        Assert.False(InvalidationMessage.TryDecode([.. bytes, 0], out _));
    }

    [Fact]
    public void TryDecode_RandomBytes_NeverThrows()
    {
        var random = new Random(12345);
        var valid = InvalidationMessage.Encode(InvalidationKind.Keys, Guid.NewGuid(), 1, 1, ["key"], InvalidationMessage.SizeOf("key"));
        for (var i = 0; i < 20_000; i++)
        {
            // Half pure noise, half a valid message with a few bytes flipped (lengths and counts included).
            var bytes = i % 2 == 0 ? new byte[random.Next(0, 80)] : (byte[])valid.Clone();
            if (i % 2 == 0)
            {
                random.NextBytes(bytes);
            }
            else
            {
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }

            InvalidationMessage.TryDecode(bytes, out _);
        }
    }

    [Fact]
    public void TryDecode_InvalidUtf8Key_Refused()
    {
        var bytes = InvalidationMessage.Encode(InvalidationKind.Keys, Guid.NewGuid(), 1, 1, ["ab"], InvalidationMessage.SizeOf("ab"));
        bytes[^1] = 0xFF;

        Assert.False(InvalidationMessage.TryDecode(bytes, out _));
    }
}
