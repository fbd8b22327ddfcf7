namespace CacheSerial.Internal;

/// <summary>Envelope flag bits. Bits this build does not know make a read reject the entry.</summary>
[Flags]
internal enum EnvelopeFlags : byte
{
    None = 0,

    /// <summary>The value is null; the payload is empty and the codec is not called.</summary>
    NullValue = 1,

    /// <summary>The factory marked the value a negative result (such as "not found").</summary>
    Negative = 2,

    /// <summary>Version 2: the payload is compressed with the header's algorithm.</summary>
    Compressed = 4,
}
