# One addon, one platform-neutral N-API layer (src/*.cc) over one backend per OS (src/<os>/*.cc)
# that implements src/platform.h. Until macOS and Windows backends exist they build the
# "unsupported" backend, which reports a clear error instead of failing to compile.
{
  'targets': [
    {
      'target_name': 'phantom_native',
      'sources': ['src/addon.cc', 'src/js_values.cc', 'src/sweep_worker.cc'],
      'include_dirs': ['../node_modules/node-addon-api', 'src'],
      # N-API 8 is in Node >= 12.22 and every Electron we ship: one binary loads on Node 20, 24 and Electron.
      'defines': ['NAPI_VERSION=8', 'NAPI_CPP_EXCEPTIONS'],
      'cflags!': ['-fno-exceptions'],
      'cflags_cc!': ['-fno-exceptions'],
      'cflags_cc': ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter'],
      'conditions': [
        ["OS=='linux'", {
          'sources': ['src/linux/proc_files.cc', 'src/linux/cpu_times.cc', 'src/linux/sweep.cc', 'src/linux/affinity.cc'],
        }, {
          'sources': ['src/unsupported/backend.cc'],
        }],
        ["OS=='mac'", {
          'xcode_settings': { 'GCC_ENABLE_CPP_EXCEPTIONS': 'YES', 'CLANG_CXX_LIBRARY': 'libc++' },
        }],
        ["OS=='win'", {
          'defines': ['_HAS_EXCEPTIONS=1'],
          'msvs_settings': { 'VCCLCompilerTool': { 'ExceptionHandling': 1 } },
        }],
      ],
    },
  ],
}
