-- Attach `gitstore lsp` to the YAML files of a configuration repository.
-- Works with Neovim 0.7 and later: load it from your init.lua with
--   dofile("/path/to/gitstore/editors/neovim/gitstore.lua")
-- or copy it there. Set vim.g.gitstore_cmd to run another `gitstore` (a virtualenv's).
local M = {}

local function find_root(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  while dir ~= "" do
    if vim.fn.filereadable(dir .. "/gitstore.yaml") == 1 then
      return dir
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      return nil
    end
    dir = parent
  end
  return nil
end

local clients = {}

function M.attach(bufnr)
  local root = find_root(vim.api.nvim_buf_get_name(bufnr))
  if root == nil then
    return
  end
  local id = clients[root]
  if id == nil then
    id = vim.lsp.start_client({
      name = "gitstore",
      cmd = { vim.g.gitstore_cmd or "gitstore", "lsp" },
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    })
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

vim.api.nvim_create_autocmd("FileType", {
  pattern = "yaml",
  callback = function(args) M.attach(args.buf) end,
})

return M
