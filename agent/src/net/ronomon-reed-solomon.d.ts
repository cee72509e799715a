declare module '@ronomon/reed-solomon' {
  type Callback = (error: Error | undefined) => void;
  const ReedSolomon: {
    readonly MAX_K: number;
    readonly MAX_M: number;
    create(k: number, m: number): Buffer;
    encode(context: Buffer, sources: number, targets: number, buffer: Buffer, bufferOffset: number, bufferSize: number, parity: Buffer, parityOffset: number, paritySize: number, callback: Callback): void;
  };
  export default ReedSolomon;
}
